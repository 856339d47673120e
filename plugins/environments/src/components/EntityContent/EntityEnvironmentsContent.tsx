import Typography from '@material-ui/core/Typography';
import { Link, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import {
  EntityRefLink,
  humanizeEntityRef,
  useEntity,
} from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ENVIRONMENTS_SIGNAL_CHANNEL,
  Environment,
  ServiceStatus,
  normalizeEntityRef,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useSignalGeneration } from '../../hooks/useSignalGeneration';
import { useLive } from '../../hooks/useLive';
import { useNow } from '../../hooks/useFormat';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import { HealthStatus } from '../status';
import { EnvironmentStatusCell, Expiry } from '../EnvironmentCells';
import { EmptyMessage, LiveTable } from '../LiveTable';

interface Row {
  id: string;
  env: Environment;
  service: string;
  version: string;
  status?: ServiceStatus;
}

/**
 * On a Component: every environment that runs it, at which version and with which status,
 * linked to the service's pods there. Live, like the list.
 */
export function EntityEnvironmentsContent() {
  const { entity } = useEntity();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const link = useEnvironmentLink();
  const now = useNow();
  const ref = stringifyEntityRef(entity);
  const component = normalizeEntityRef(ref, 'component');
  const { generation } = useSignalGeneration(ENVIRONMENTS_SIGNAL_CHANNEL);
  const list = useLive(
    () => api.listEnvironments({ component }),
    component,
    generation,
  );
  const title = humanizeEntityRef(entity, { defaultKind: 'component' });

  const rows: Row[] = (list.value?.items ?? []).flatMap(env =>
    env.spec.services
      .filter(
        s =>
          normalizeEntityRef(s.component ?? s.name, 'component') === component,
      )
      .map(s => {
        const status = env.status.services.find(x => x.name === s.name);
        return {
          id: `${env.name}/${s.name}`,
          env,
          service: s.name,
          version: status?.version ?? s.version ?? s.image ?? '',
          status,
        };
      }),
  );

  const columns: TableColumn<Row>[] = [
    {
      title: t('entity.columns.environment'),
      field: 'env.name',
      highlight: true,
      render: r => <Link to={link(r.env.name)}>{r.env.name}</Link>,
    },
    {
      title: t('entity.columns.service'),
      field: 'service',
      render: r => (
        <Link to={link(r.env.name, 'pods', { service: r.service })}>
          {r.service}
        </Link>
      ),
    },
    {
      title: t('entity.columns.version'),
      field: 'version',
      render: r => <code>{r.version}</code>,
    },
    {
      title: t('entity.columns.serviceStatus'),
      render: r =>
        r.status ? (
          <>
            <HealthStatus health={r.status.health} />{' '}
            <Typography variant="caption" color="textSecondary">
              {r.status.readyReplicas}/{r.status.desiredReplicas}
            </Typography>
          </>
        ) : null,
    },
    {
      title: t('entity.columns.environmentStatus'),
      render: r => <EnvironmentStatusCell env={r.env} />,
    },
    {
      title: t('entity.columns.owner'),
      render: r => (
        <EntityRefLink entityRef={r.env.owner} defaultKind="group" />
      ),
    },
    {
      title: t('entity.columns.purpose'),
      render: r => t(`purpose.${r.env.purpose}`),
    },
    {
      title: t('entity.columns.expires'),
      render: r => <Expiry env={r.env} now={now} />,
    },
  ];

  return (
    <LiveTable<Row>
      live={list}
      title={t('entity.runsIn', { component: title })}
      options={{ paging: false, search: false, padding: 'dense' }}
      data={rows}
      columns={columns}
      emptyContent={
        <EmptyMessage>{t('entity.empty', { component: title })}</EmptyMessage>
      }
    />
  );
}
