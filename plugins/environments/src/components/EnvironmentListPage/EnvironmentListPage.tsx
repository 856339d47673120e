import { useEffect, useMemo, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleOutline from '@material-ui/icons/CheckCircleOutline';
import ErrorOutline from '@material-ui/icons/ErrorOutline';
import {
  Content,
  ContentHeader,
  Header,
  LinkButton,
  Link,
  Page,
  TableColumn,
} from '@backstage/core-components';
import {
  identityApiRef,
  useApi,
  useRouteRef,
} from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  ClusterState,
  ENVIRONMENTS_SIGNAL_CHANNEL,
  ENVIRONMENT_PHASES,
  Environment,
  EnvironmentPhase,
  PURPOSES,
  Purpose,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { createEnvironmentRouteRef } from '../../routes';
import { environmentsTranslationRef } from '../../translation';
import { useSignalGeneration } from '../../hooks/useSignalGeneration';
import { useLive } from '../../hooks/useLive';
import { useFormat, useNow } from '../../hooks/useFormat';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import { useQueryParams } from '../../hooks/useQueryParams';
import { EnvironmentStatusCell, Expiry } from '../EnvironmentCells';
import { FilterField } from '../FilterField';
import { LiveTable } from '../LiveTable';

/** The phases a listed (not destroyed) environment can be in. */
const PHASES = ENVIRONMENT_PHASES.filter(
  p => p !== 'Expired' && p !== 'Destroyed',
);
const VIEWS = ['mine', 'team', 'all'] as const;
type View = (typeof VIEWS)[number];
const SEARCH_DELAY_MS = 300;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  chips: { display: 'flex', flexWrap: 'wrap', gap: 4, maxWidth: 420 },
  clusters: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: 4,
    marginLeft: 'auto',
  },
  reachable: {
    color: theme.palette.success.dark,
    borderColor: theme.palette.success.main,
    '& .MuiChip-icon': { color: theme.palette.success.main },
  },
  unreachable: {
    color: theme.palette.error.main,
    borderColor: theme.palette.error.main,
    '& .MuiChip-icon': { color: theme.palette.error.main },
  },
}));

/**
 * The configured clusters, as chips: name, whether it is the default, and whether the backend
 * reaches it (since when not, with the last error as the tooltip). Nothing when they cannot be
 * loaded: the list does not depend on them.
 */
function Clusters() {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const format = useFormat();
  const now = useNow();
  const clusters = useAsync(() => api.listClusters(), [api]);
  const items = clusters.value?.items ?? [];
  if (!items.length) return null;
  const unreachable = (c: ClusterState) => {
    if (c.reachable) return undefined;
    if (!c.unreachableSince) return t('list.clusters.unreachableNow');
    return t('list.clusters.unreachable', {
      time: format.relative(c.unreachableSince, now),
    });
  };
  const label = (c: ClusterState) =>
    [c.name, c.default ? t('list.clusters.default') : undefined, unreachable(c)]
      .filter(Boolean)
      .join(' · ');
  return (
    <div
      className={classes.clusters}
      role="group"
      aria-label={t('list.clusters.label')}
    >
      <Typography variant="caption" color="textSecondary">
        {t('list.clusters.label')}
      </Typography>
      {items.map(c => (
        <Chip
          key={c.name}
          size="small"
          variant="outlined"
          className={c.reachable ? classes.reachable : classes.unreachable}
          icon={c.reachable ? <CheckCircleOutline /> : <ErrorOutline />}
          label={label(c)}
          title={
            c.reachable ? t('list.clusters.reachable') : c.lastError ?? label(c)
          }
        />
      ))}
    </div>
  );
}

/**
 * Every environment the user may read, live: mine, my teams' or all; searched and filtered by
 * status, purpose and owner. The filters are in the URL, so a filtered list can be shared.
 */
export function EnvironmentListPage() {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const identityApi = useApi(identityApiRef);
  const createLink = useRouteRef(createEnvironmentRouteRef);
  const link = useEnvironmentLink();
  const now = useNow();
  const [params, set] = useQueryParams();
  const view: View = VIEWS.includes(params.get('view') as View)
    ? (params.get('view') as View)
    : 'all';
  const phase = params.get('phase') ?? '';
  const purpose = params.get('purpose') ?? '';
  const owner = params.get('owner') ?? '';
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);

  // Typing waits a moment before the list is asked again.
  useEffect(() => {
    if (search === q) return undefined;
    const timer = setTimeout(() => set({ q: search.trim() }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [search]);

  const identity = useAsync(() => identityApi.getBackstageIdentity(), []);
  const owners = useMemo(() => {
    if (view === 'all' || !identity.value) return undefined;
    const { userEntityRef, ownershipEntityRefs } = identity.value;
    if (view === 'mine') return [userEntityRef];
    return ownershipEntityRefs.filter(r => r !== userEntityRef);
  }, [view, identity.value]);

  const { generation, live } = useSignalGeneration(ENVIRONMENTS_SIGNAL_CHANNEL);
  const query = {
    owner: owners,
    phase: (phase || undefined) as EnvironmentPhase | undefined,
    purpose: purpose || undefined,
    q: q || undefined,
  };
  const waiting = view !== 'all' && !identity.value;
  const list = useLive(
    () =>
      waiting || (owners && owners.length === 0)
        ? Promise.resolve({ items: [] as Environment[] })
        : api.listEnvironments(query),
    JSON.stringify([query, waiting]),
    generation,
  );

  const items = list.value?.items ?? [];
  const ownerChoices = [...new Set(items.map(e => e.owner))].sort();
  const rows = items
    .filter(e => !owner || e.owner === owner)
    .map(e => ({ ...e }));

  const columns: TableColumn<Environment>[] = [
    {
      title: t('list.columns.name'),
      field: 'name',
      highlight: true,
      render: e => (
        <>
          <Link to={link(e.name)}>{e.name}</Link>
          {e.title && e.title !== e.name && (
            <Typography variant="caption" display="block" color="textSecondary">
              {e.title}
            </Typography>
          )}
          {e.spec.branch && (
            <Typography
              variant="caption"
              display="block"
              color="textSecondary"
              data-testid={`branch-${e.name}`}
            >
              {t('list.branch', { branch: e.spec.branch })}
            </Typography>
          )}
        </>
      ),
    },
    {
      title: t('list.columns.status'),
      field: 'status.phase',
      render: e => <EnvironmentStatusCell env={e} />,
    },
    {
      title: t('list.columns.services'),
      sorting: false,
      render: e => (
        <div className={classes.chips}>
          {e.status.services.map(s => (
            <Chip
              key={s.name}
              size="small"
              variant="outlined"
              label={`${s.name} ${s.version}`}
              title={t(`health.${s.health}`)}
            />
          ))}
        </div>
      ),
    },
    {
      title: t('list.columns.owner'),
      field: 'owner',
      render: e => <EntityRefLink entityRef={e.owner} defaultKind="group" />,
    },
    {
      title: t('list.columns.base'),
      field: 'base',
      render: e => (e.base ? <Link to={link(e.base)}>{e.base}</Link> : ''),
    },
    { title: t('list.columns.cluster'), field: 'cluster' },
    {
      title: t('list.columns.expires'),
      field: 'expiresAt',
      render: e => <Expiry env={e} now={now} />,
    },
  ];

  return (
    <Page themeId="tool">
      <Header title={t('plugin.title')} subtitle={t('plugin.subtitle')} />
      <Content>
        <ContentHeader title="">
          <LinkButton
            to={createLink ? createLink() : '/create'}
            variant="contained"
            color="primary"
          >
            {t('list.create')}
          </LinkButton>
        </ContentHeader>
        <div className={classes.filters}>
          <ToggleButtonGroup
            exclusive
            size="small"
            value={view}
            onChange={(_, v) => v && set({ view: v === 'all' ? '' : v })}
          >
            {VIEWS.map(v => (
              <ToggleButton key={v} value={v}>
                {t(`list.${v}`)}
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
          <TextField
            variant="outlined"
            size="small"
            style={{ minWidth: 300 }}
            placeholder={t('list.search')}
            inputProps={{ 'aria-label': t('list.search') }}
            value={search}
            onChange={e => setSearch(e.target.value)}
          />
          <FilterField
            id="env-phase"
            param="phase"
            label={t('list.status')}
            anyLabel={t('list.anyStatus')}
            options={PHASES.map(p => ({ value: p, label: t(`phase.${p}`) }))}
          />
          <FilterField
            id="env-purpose"
            param="purpose"
            label={t('list.purpose')}
            anyLabel={t('list.anyPurpose')}
            options={PURPOSES.map((p: Purpose) => ({
              value: p,
              label: t(`purpose.${p}`),
            }))}
          />
          <FilterField
            id="env-owner"
            param="owner"
            label={t('list.owner')}
            anyLabel={t('list.anyOwner')}
            minWidth={220}
            options={ownerChoices.map(o => ({ value: o, label: o }))}
          />
          <Clusters />
        </div>
        <LiveTable<Environment>
          live={list}
          title={t('list.tableTitle', { total: String(rows.length) })}
          subtitle={live ? undefined : t('page.offline')}
          options={{
            paging: rows.length > 50,
            pageSize: 50,
            emptyRowsWhenPaging: false,
            search: false,
            padding: 'dense',
          }}
          data={rows}
          columns={columns}
          emptyContent={
            <Box p={3}>
              <Typography>{t('list.empty')}</Typography>
              <Typography variant="body2" color="textSecondary">
                {t('list.emptyHint')}
              </Typography>
            </Box>
          }
        />
      </Content>
    </Page>
  );
}
