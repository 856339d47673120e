import { useSearchParams } from 'react-router-dom';
import Grid from '@material-ui/core/Grid';
import {
  Link,
  ResponseErrorPanel,
  StatusOK,
  StatusPending,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  RegistryEntry,
  ResolveResult,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useFormat, useNow } from '../../hooks/useFormat';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import { useEnvironmentData } from '../EnvironmentView/EnvironmentContext';
import { EmptyMessage } from '../LiveTable';

/**
 * Service registration: the instances this environment registered, with their addresses, and
 * the services it does not run, resolved through its base environments (seed 001).
 * `?service=<name>` shows one service.
 */
export function RegistryTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const link = useEnvironmentLink();
  const registry = useEnvironmentData('registry', (api, n) =>
    api.getRegistry(n),
  );
  const [params] = useSearchParams();
  const service = params.get('service');
  const only = <T extends { service: string }>(items: T[]) =>
    items.filter(i => !service || i.service === service).map(i => ({ ...i }));

  const instanceColumns: TableColumn<RegistryEntry>[] = [
    { title: t('registry.columns.service'), field: 'service', highlight: true },
    {
      title: t('registry.columns.version'),
      field: 'version',
      render: e => <code>{e.version}</code>,
    },
    { title: t('registry.columns.instance'), field: 'instance' },
    {
      title: t('registry.columns.address'),
      field: 'address',
      render: e => <code>{e.address}</code>,
    },
    {
      title: t('registry.columns.ports'),
      render: e => e.ports.map(p => `${p.name}:${p.port}`).join(', '),
    },
    {
      title: t('registry.columns.ready'),
      field: 'ready',
      render: e =>
        e.ready ? (
          <StatusOK>{t('common.yes')}</StatusOK>
        ) : (
          <StatusPending>{t('common.no')}</StatusPending>
        ),
    },
    { title: t('registry.columns.node'), field: 'node' },
    {
      title: t('registry.columns.registered'),
      field: 'registeredAt',
      render: e => format.relative(e.registeredAt, now),
    },
  ];

  const resolvedColumns: TableColumn<ResolveResult>[] = [
    { title: t('registry.columns.service'), field: 'service', highlight: true },
    {
      title: t('registry.columns.answeredBy'),
      field: 'answeredBy',
      render: r => (
        <Link to={link(r.answeredBy, 'registry', { service: r.service })}>
          {r.answeredBy}
        </Link>
      ),
    },
    {
      title: t('registry.columns.chain'),
      render: r => r.chain.join(' → '),
    },
    {
      title: t('registry.columns.address'),
      field: 'address',
      render: r => <code>{r.address}</code>,
    },
    {
      title: t('registry.columns.instanceCount'),
      render: r => String(r.instances.length),
    },
  ];

  if (registry.error && !registry.value)
    return <ResponseErrorPanel error={registry.error} />;
  const loading = registry.loading && !registry.value;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Table<RegistryEntry>
          title={t('registry.instances')}
          isLoading={loading}
          options={{ paging: false, padding: 'dense', search: true }}
          data={only(registry.value?.items ?? [])}
          columns={instanceColumns}
          emptyContent={<EmptyMessage>{t('registry.empty')}</EmptyMessage>}
        />
      </Grid>
      <Grid item xs={12}>
        <Table<ResolveResult>
          title={t('registry.resolved')}
          isLoading={loading}
          options={{ paging: false, padding: 'dense', search: false }}
          data={only(registry.value?.resolved ?? [])}
          columns={resolvedColumns}
          emptyContent={
            <EmptyMessage>{t('registry.resolvedEmpty')}</EmptyMessage>
          }
        />
      </Grid>
    </Grid>
  );
}
