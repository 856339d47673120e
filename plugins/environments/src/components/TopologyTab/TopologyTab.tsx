import { useState } from 'react';
import Grid from '@material-ui/core/Grid';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { ServiceStatus } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { HealthStatus } from '../status';
import { ActionButton } from '../actions/ActionButton';
import { DeployDialog } from '../actions/DeployDialog';
import { useControl } from '../actions/EnvironmentActions';
import { EmptyMessage } from '../LiveTable';
import { TopologyGraph } from './TopologyGraph';
import { ReleaseDialog, ReleaseDialogMode } from '../releases/ReleaseDialog';
import { VersionsCell } from '../releases/VersionsCell';
import { ConfirmStepDialog, ReleaseStep } from '../releases/ConfirmStepDialog';

const RELEASABLE = ['http', 'socket', 'backend'];

function ServiceActions(props: {
  service: ServiceStatus;
  onDeploy: (service: string) => void;
  onRelease: (mode: ReleaseDialogMode) => void;
}) {
  const { service } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { control, busy } = useControl();
  const stopped = service.health === 'Stopped';
  const label = (action: string) => `${action} ${service.name}`;
  return (
    <Box display="flex" style={{ gap: 4, whiteSpace: 'nowrap' }}>
      <ActionButton
        kind="update"
        size="small"
        aria-label={label(t('actions.deploy'))}
        onClick={() => props.onDeploy(service.name)}
      >
        {t('actions.deploy')}
      </ActionButton>
      {RELEASABLE.includes(service.kind) && (
        <ActionButton
          kind="update"
          size="small"
          aria-label={label(t('release.startAction'))}
          onClick={() =>
            props.onRelease({
              kind: 'start',
              service: service.name,
              current: service.version,
            })
          }
        >
          {t('release.startAction')}
        </ActionButton>
      )}
      <ActionButton
        kind="update"
        size="small"
        disabled={busy}
        aria-label={label(stopped ? t('actions.start') : t('actions.stop'))}
        onClick={() => control(stopped ? 'start' : 'stop', [service.name])}
      >
        {stopped ? t('actions.start') : t('actions.stop')}
      </ActionButton>
      <ActionButton
        kind="update"
        size="small"
        disabled={busy || stopped}
        aria-label={label(t('actions.restart'))}
        onClick={() => control('restart', [service.name])}
      >
        {t('actions.restart')}
      </ActionButton>
    </Box>
  );
}

/** The topology graph, and each service of the environment with its controls. */
export function TopologyTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { value: env, tabLink } = useEnvironmentContext();
  const topology = useEnvironmentData('topology', (api, n) =>
    api.getTopology(n),
  );
  const [deploying, setDeploying] = useState<string>();
  const [releasing, setReleasing] = useState<ReleaseDialogMode>();
  const [confirming, setConfirming] = useState<ReleaseStep>();

  const columns: TableColumn<ServiceStatus>[] = [
    {
      title: t('topology.columns.service'),
      field: 'name',
      highlight: true,
      render: s => (
        <Link to={tabLink('pods', { service: s.name })}>{s.name}</Link>
      ),
    },
    { title: t('topology.columns.kind'), field: 'kind' },
    {
      title: t('topology.columns.version'),
      field: 'version',
      render: s => (
        <VersionsCell
          service={s}
          onWeight={setReleasing}
          onStep={setConfirming}
        />
      ),
    },
    {
      title: t('topology.columns.ready'),
      render: s => `${s.readyReplicas}/${s.desiredReplicas}`,
    },
    {
      title: t('topology.columns.health'),
      field: 'health',
      render: s => <HealthStatus health={s.health} />,
    },
    {
      title: t('topology.columns.reasons'),
      width: '35%',
      render: s =>
        s.reasons.length ? (
          <Typography
            variant="body2"
            color="error"
            style={{ whiteSpace: 'pre-line' }}
          >
            {s.reasons.join('\n')}
          </Typography>
        ) : null,
    },
    {
      title: t('topology.columns.actions'),
      sorting: false,
      render: s => (
        <ServiceActions
          service={s}
          onDeploy={setDeploying}
          onRelease={setReleasing}
        />
      ),
    },
  ];

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard title={t('page.tabs.topology')} noPadding>
          {topology.error && !topology.value && (
            <ResponseErrorPanel error={topology.error} />
          )}
          {topology.loading && !topology.value && <Progress />}
          {topology.value &&
            (topology.value.nodes.length ? (
              <TopologyGraph topology={topology.value} />
            ) : (
              <EmptyMessage>{t('topology.empty')}</EmptyMessage>
            ))}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <Table<ServiceStatus>
          title={t('topology.title')}
          options={{
            paging: false,
            search: false,
            padding: 'dense',
          }}
          // material-table writes into its rows: give it copies.
          data={(env?.status.services ?? []).map(s => ({ ...s }))}
          columns={columns}
          emptyContent={<EmptyMessage>{t('topology.empty')}</EmptyMessage>}
        />
      </Grid>
      <ReleaseDialog mode={releasing} onClose={() => setReleasing(undefined)} />
      <ConfirmStepDialog
        step={confirming}
        onClose={() => setConfirming(undefined)}
      />
      <DeployDialog
        open={!!deploying}
        service={deploying}
        onClose={() => setDeploying(undefined)}
      />
    </Grid>
  );
}
