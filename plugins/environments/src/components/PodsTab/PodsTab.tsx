import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  Link,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { PodView } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { compactDuration } from '../../format';
import { useNow } from '../../hooks/useFormat';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { FilterField } from '../FilterField';
import { EmptyMessage } from '../LiveTable';
import { TerminalDialog } from '../Terminal/TerminalDialog';

function PodPhase(props: { pod: PodView }) {
  const { pod } = props;
  if (pod.reason) return <StatusError>{pod.phase}</StatusError>;
  if (pod.phase === 'Running' && pod.ready)
    return <StatusOK>{pod.phase}</StatusOK>;
  if (pod.phase === 'Succeeded') return <StatusOK>{pod.phase}</StatusOK>;
  if (pod.phase === 'Pending' || pod.phase === 'Terminating')
    return <StatusPending>{pod.phase}</StatusPending>;
  return <StatusWarning>{pod.phase}</StatusWarning>;
}

const NOWRAP = { whiteSpace: 'nowrap' as const };

/**
 * Every pod of the environment, from the backend's watch cache: name, service, phase, readiness,
 * restarts, age, node, IP, version, and why it is unhealthy. Pages of 50 keep an environment of
 * hundreds of pods quick.
 */
export function PodsTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { tabLink, name, permissions } = useEnvironmentContext();
  const pods = useEnvironmentData('pods', (api, n) => api.getPods(n));
  const [params] = useSearchParams();
  const service = params.get('service') ?? '';
  const now = useNow();

  const services = useMemo(
    () => [...new Set((pods.value?.items ?? []).map(p => p.service))].sort(),
    [pods.value],
  );
  const rows = useMemo(
    () =>
      (pods.value?.items ?? [])
        .filter(p => !service || p.service === service)
        // Unhealthy pods first, then as the backend orders them (service, name).
        .map((p, i) => ({ ...p, order: (p.reason ? 0 : 1) * 1e6 + i }))
        .sort((a, b) => a.order - b.order),
    [pods.value, service],
  );

  const columns: TableColumn<PodView & { order: number }>[] = [
    {
      title: t('pods.columns.name'),
      field: 'name',
      highlight: true,
      cellStyle: NOWRAP,
    },
    { title: t('pods.columns.service'), field: 'service' },
    {
      title: t('pods.columns.phase'),
      field: 'phase',
      cellStyle: NOWRAP,
      render: p => <PodPhase pod={p} />,
    },
    {
      title: t('pods.columns.ready'),
      field: 'ready',
      render: p =>
        `${p.containers.filter(c => c.ready).length}/${p.containers.length}`,
    },
    { title: t('pods.columns.restarts'), field: 'restarts', type: 'numeric' },
    {
      title: t('pods.columns.age'),
      field: 'createdAt',
      render: p =>
        p.createdAt
          ? compactDuration(now - new Date(p.createdAt).getTime())
          : '',
    },
    { title: t('pods.columns.node'), field: 'node', cellStyle: NOWRAP },
    { title: t('pods.columns.ip'), field: 'ip', cellStyle: NOWRAP },
    {
      title: t('pods.columns.version'),
      field: 'version',
      render: p => <code>{p.version}</code>,
    },
    {
      title: t('pods.columns.reason'),
      field: 'reason',
      render: p =>
        p.reason ? (
          <Typography variant="body2" color="error">
            {p.reason}
          </Typography>
        ) : null,
    },
    {
      title: '',
      sorting: false,
      cellStyle: NOWRAP,
      render: p => (
        <Box display="flex" style={{ gap: 12 }}>
          <Link
            to={tabLink('logs', {
              pod: p.name,
              container: p.containers[0]?.name,
            })}
            aria-label={`${t('pods.logs')} ${p.name}`}
          >
            {t('pods.logs')}
          </Link>
          {permissions.exec.allowed && p.phase === 'Running' && (
            <Link
              to={tabLink('pods', {
                service: service || undefined,
                terminal: p.name,
                container: p.containers[0]?.name,
              })}
              aria-label={`${t('pods.terminal')} ${p.name}`}
            >
              {t('pods.terminal')}
            </Link>
          )}
        </Box>
      ),
    },
  ];

  if (pods.error && !pods.value)
    return <ResponseErrorPanel error={pods.error} />;

  return (
    <>
      <Box mb={2}>
        <FilterField
          id="pods-service"
          param="service"
          label={t('pods.service')}
          anyLabel={t('pods.anyService')}
          minWidth={220}
          options={services.map(s => ({ value: s, label: s }))}
        />
      </Box>
      <Table<PodView & { order: number }>
        title={t('pods.title', { total: String(rows.length) })}
        isLoading={pods.loading && !pods.value}
        options={{
          paging: true,
          pageSize: 50,
          pageSizeOptions: [20, 50, 100, 200],
          emptyRowsWhenPaging: false,
          padding: 'dense',
          search: true,
        }}
        data={rows}
        columns={columns}
        emptyContent={<EmptyMessage>{t('pods.empty')}</EmptyMessage>}
      />
      <TerminalDialog
        environment={name}
        pods={pods.value?.items ?? []}
        allowed={permissions.exec.allowed}
        loading={permissions.exec.loading}
        permission={permissions.exec.permission}
      />
    </>
  );
}
