import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import FormControl from '@material-ui/core/FormControl';
import InputLabel from '@material-ui/core/InputLabel';
import MenuItem from '@material-ui/core/MenuItem';
import Select from '@material-ui/core/Select';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { makeStyles } from '@material-ui/core/styles';
import {
  Content,
  ContentHeader,
  Header,
  LinkButton,
  Link,
  Page,
  ResponseErrorPanel,
  Table,
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
  ENVIRONMENTS_SIGNAL_CHANNEL,
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
import { PhaseStatus } from '../status';

const PHASES: EnvironmentPhase[] = [
  'Creating',
  'Ready',
  'Degraded',
  'Stopped',
  'Failed',
  'Destroying',
];
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
  soon: { color: theme.palette.error.main, fontWeight: 600 },
}));

/** Expiry as "in 3 hr", red under an hour. */
export function Expiry(props: { env: Environment; now: number }) {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const { env, now } = props;
  if (!env.expiresAt) return <>{t('time.never')}</>;
  const left = new Date(env.expiresAt).getTime() - now;
  if (left <= 0) return <>{t('time.expired')}</>;
  return (
    <span
      className={left < 3_600_000 ? classes.soon : undefined}
      title={format.dateTime(env.expiresAt)}
    >
      {format.relative(env.expiresAt, now)}
    </span>
  );
}

/** The environment's phase, and the operation in progress if one is. */
export function EnvironmentStatusCell(props: { env: Environment }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const op = props.env.lastOperation;
  const active = op && (op.status === 'pending' || op.status === 'running');
  return (
    <>
      <PhaseStatus phase={props.env.status.phase} />
      {active && (
        <Typography variant="caption" display="block" color="textSecondary">
          {t(`operationType.${op!.type}`)} ·{' '}
          {t(`operationStatus.${op!.status}`)}
        </Typography>
      )}
    </>
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
  const [params, setParams] = useSearchParams();
  const view: View = VIEWS.includes(params.get('view') as View)
    ? (params.get('view') as View)
    : 'all';
  const phase = params.get('phase') ?? '';
  const purpose = params.get('purpose') ?? '';
  const owner = params.get('owner') ?? '';
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  // Typing waits a moment before the list is asked again.
  useEffect(() => {
    if (search === q) return undefined;
    const timer = setTimeout(() => set('q', search.trim()), SEARCH_DELAY_MS);
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
            onChange={(_, v) => v && set('view', v === 'all' ? '' : v)}
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
          <FormControl
            variant="outlined"
            size="small"
            style={{ minWidth: 160 }}
          >
            <InputLabel id="env-phase-label">{t('list.status')}</InputLabel>
            <Select
              labelId="env-phase-label"
              label={t('list.status')}
              value={phase}
              onChange={e => set('phase', String(e.target.value))}
            >
              <MenuItem value="">{t('list.anyStatus')}</MenuItem>
              {PHASES.map(p => (
                <MenuItem key={p} value={p}>
                  {t(`phase.${p}`)}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <FormControl
            variant="outlined"
            size="small"
            style={{ minWidth: 160 }}
          >
            <InputLabel id="env-purpose-label">{t('list.purpose')}</InputLabel>
            <Select
              labelId="env-purpose-label"
              label={t('list.purpose')}
              value={purpose}
              onChange={e => set('purpose', String(e.target.value))}
            >
              <MenuItem value="">{t('list.anyPurpose')}</MenuItem>
              {PURPOSES.map((p: Purpose) => (
                <MenuItem key={p} value={p}>
                  {t(`purpose.${p}`)}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <FormControl
            variant="outlined"
            size="small"
            style={{ minWidth: 220 }}
          >
            <InputLabel id="env-owner-label">{t('list.owner')}</InputLabel>
            <Select
              labelId="env-owner-label"
              label={t('list.owner')}
              value={ownerChoices.includes(owner) ? owner : ''}
              onChange={e => set('owner', String(e.target.value))}
            >
              <MenuItem value="">{t('list.anyOwner')}</MenuItem>
              {ownerChoices.map(o => (
                <MenuItem key={o} value={o}>
                  {o}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
        </div>
        {list.error && !list.value ? (
          <ResponseErrorPanel error={list.error} />
        ) : (
          <Table<Environment>
            title={t('list.tableTitle', { total: String(rows.length) })}
            subtitle={live ? undefined : t('page.offline')}
            isLoading={list.loading && !list.value}
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
        )}
      </Content>
    </Page>
  );
}
