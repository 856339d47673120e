import { ReactNode } from 'react';
import { useResolvedPath } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  Content,
  Header,
  HeaderLabel,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
  RoutedTabs,
  WarningPanel,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { ResponseError } from '@backstage/errors';
import type { Environment } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useFormat, useNow } from '../../hooks/useFormat';
import {
  useEnvironmentLink,
  useEnvironmentsRoot,
} from '../../hooks/useEnvironmentLink';
import { PhaseStatus } from '../status';
import { EnvironmentActions, useControl } from '../actions/EnvironmentActions';
import { ActionButton } from '../actions/ActionButton';
import { OperationBanner } from '../actions/OperationBanner';
import { TopologyTab } from '../TopologyTab/TopologyTab';
import { ConfigTab } from '../ConfigTab/ConfigTab';
import { PodsTab } from '../PodsTab/PodsTab';
import { LogsTab } from '../LogsTab/LogsTab';
import { EventsTab } from '../EventsTab/EventsTab';
import { HistoryTab } from '../HistoryTab/HistoryTab';
import { AlertsTab } from '../AlertsTab/AlertsTab';
import { RegistryTab } from '../RegistryTab/RegistryTab';
import { IslandsTab } from '../IslandsTab/IslandsTab';
import {
  EnvironmentProvider,
  useEnvironmentContext,
} from './EnvironmentContext';

const useStyles = makeStyles(theme => ({
  headerActions: {
    // Outlined buttons on the header's coloured background: white, and dimmed when disabled.
    '& .MuiButton-outlined, & .MuiButton-outlined.MuiButton-outlinedSecondary':
      {
        color: theme.palette.common.white,
        borderColor: 'rgba(255, 255, 255, 0.7)',
      },
    '& .MuiButton-outlined.Mui-disabled, & .MuiButton-outlined.MuiButton-outlinedSecondary.Mui-disabled':
      {
        color: 'rgba(255, 255, 255, 0.5)',
        borderColor: 'rgba(255, 255, 255, 0.3)',
      },
    width: '100%',
    marginTop: theme.spacing(1),
    display: 'flex',
    justifyContent: 'flex-end',
  },
  summary: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(4),
    padding: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
}));

/**
 * The facts a header shows: status, owner, base, cluster, expiry and revision. On the page's
 * coloured header, links take the header's colour.
 */
function useFacts(env: Environment | undefined, onHeader: boolean) {
  const linkColor = onHeader ? 'inherit' : 'primary';
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const link = useEnvironmentLink();
  if (!env) return [];
  return [
    {
      label: t('page.status'),
      value: <PhaseStatus phase={env.status.phase} />,
    },
    {
      label: t('page.owner'),
      value: (
        <EntityRefLink
          entityRef={env.owner}
          defaultKind="group"
          color={linkColor}
        />
      ),
    },
    {
      label: t('page.base'),
      value: env.base ? (
        <Link to={link(env.base)} color={linkColor}>
          {env.base}
        </Link>
      ) : (
        t('page.noBase')
      ),
    },
    { label: t('page.cluster'), value: `${env.cluster} / ${env.namespace}` },
    {
      label: t('page.expires'),
      value: env.expiresAt ? (
        <span title={format.dateTime(env.expiresAt)}>
          {new Date(env.expiresAt).getTime() <= now
            ? t('time.expired')
            : format.relative(env.expiresAt, now)}
        </span>
      ) : (
        t('time.never')
      ),
    },
    { label: t('page.revision'), value: `#${env.revision}` },
  ];
}

/** Sleep stopped the environment: since when, what it stopped, and one click to wake it. */
function AsleepPanel(props: { env: Environment }) {
  const { env } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const { control, busy } = useControl();
  const asleep = env.asleep!;
  return (
    <Box mb={2}>
      <WarningPanel
        severity="info"
        defaultExpanded
        title={t('page.asleep', { time: format.relative(asleep.since, now) })}
        message={t('page.asleepMessage', {
          services: asleep.services.join(', '),
        })}
      >
        <ActionButton
          kind="update"
          variant="contained"
          color="primary"
          disabled={busy}
          onClick={() => void control('start', asleep.services)}
        >
          {t('page.wake')}
        </ActionButton>
      </WarningPanel>
    </Box>
  );
}

function TabBody(props: { children: ReactNode }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const { value: env, live } = useEnvironmentContext();
  const unreachable = env?.clusterUnreachable;
  return (
    <>
      {env && unreachable && (
        <Box mb={2}>
          <WarningPanel
            severity="warning"
            defaultExpanded
            title={t('page.clusterUnreachable', {
              cluster: env.cluster,
              time: format.relative(unreachable.since, now),
            })}
            message={t('page.clusterUnreachableMessage')}
          >
            {unreachable.error && (
              <Typography
                variant="body2"
                component="pre"
                style={{ margin: 0, whiteSpace: 'pre-wrap' }}
              >
                {unreachable.error}
              </Typography>
            )}
          </WarningPanel>
        </Box>
      )}
      {env?.asleep && !env.destroyedAt && <AsleepPanel env={env} />}
      {env?.destroyedAt && (
        <Box mb={2}>
          <WarningPanel
            severity="info"
            title={t('page.destroyed', {
              time: format.relative(env.destroyedAt),
            })}
          />
        </Box>
      )}
      {!live && (
        <Box mb={2}>
          <WarningPanel severity="info" title={t('page.offline')} />
        </Box>
      )}
      <OperationBanner />
      {props.children}
    </>
  );
}

function EnvironmentTabs() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const tab = (path: string, title: string, element: ReactNode) => ({
    path,
    title,
    children: <TabBody>{element}</TabBody>,
  });
  return (
    <RoutedTabs
      routes={[
        tab('/', t('page.tabs.topology'), <TopologyTab />),
        tab('/config', t('page.tabs.config'), <ConfigTab />),
        tab('/pods', t('page.tabs.pods'), <PodsTab />),
        tab('/logs', t('page.tabs.logs'), <LogsTab />),
        tab('/events', t('page.tabs.events'), <EventsTab />),
        tab('/history', t('page.tabs.history'), <HistoryTab />),
        tab('/alerts', t('page.tabs.alerts'), <AlertsTab />),
        tab('/registry', t('page.tabs.registry'), <RegistryTab />),
        tab('/islands', t('page.tabs.islands'), <IslandsTab />),
      ]}
    />
  );
}

/** Not found, or could not be loaded: says which. */
function LoadProblem(props: { error: Error; name: string }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  if (
    props.error instanceof ResponseError &&
    props.error.response.status === 404
  ) {
    return (
      <WarningPanel
        severity="warning"
        title={t('page.notFound', { name: props.name })}
      />
    );
  }
  return <ResponseErrorPanel error={props.error} />;
}

function PageContent() {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const root = useEnvironmentsRoot();
  const { name, value: env, error } = useEnvironmentContext();
  const facts = useFacts(env, true);
  const purpose = env ? t(`purpose.${env.purpose}`) : undefined;
  return (
    <Page themeId="tool">
      <Header
        title={name}
        subtitle={env?.title ? `${env.title} · ${purpose}` : purpose}
        type={t('page.type')}
        typeLink={root}
        pageTitleOverride={name}
      >
        {facts.map(f => (
          <HeaderLabel key={f.label} label={f.label} value={f.value} />
        ))}
        {env && (
          <div className={classes.headerActions}>
            <EnvironmentActions />
          </div>
        )}
      </Header>
      {env ? (
        <EnvironmentTabs />
      ) : (
        <Content>
          {error ? <LoadProblem error={error} name={name} /> : <Progress />}
        </Content>
      )}
    </Page>
  );
}

function EmbeddedContent() {
  const classes = useStyles();
  const { name, value: env, error } = useEnvironmentContext();
  const facts = useFacts(env, false);
  if (error && !env) return <LoadProblem error={error} name={name} />;
  if (!env) return <Progress />;
  return (
    <>
      <Paper variant="outlined" className={classes.summary}>
        {facts.map(f => (
          <div key={f.label}>
            <Typography variant="caption" color="textSecondary">
              {f.label}
            </Typography>
            <Typography variant="body2" component="div">
              {f.value}
            </Typography>
          </div>
        ))}
        <Box flexGrow={1} />
        <EnvironmentActions />
      </Paper>
      <EnvironmentTabs />
    </>
  );
}

/**
 * One environment, live: its header (status, owner, base, expiry, actions) and its tabs
 * (topology, config, pods, logs, events, history, alerts, registry, islands). As a page of its own, or embedded in an
 * entity's tab; its tab links are relative to wherever it is shown.
 */
export function EnvironmentView(props: {
  name: string;
  variant?: 'page' | 'embedded';
}) {
  const basePath = useResolvedPath('').pathname;
  return (
    <EnvironmentProvider name={props.name} basePath={basePath}>
      {props.variant === 'embedded' ? <EmbeddedContent /> : <PageContent />}
    </EnvironmentProvider>
  );
}
