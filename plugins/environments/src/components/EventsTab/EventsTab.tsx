import {
  StatusOK,
  StatusWarning,
  TableColumn,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { EnvironmentEvent } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useFormat, useNow } from '../../hooks/useFormat';
import { useEnvironmentData } from '../EnvironmentView/EnvironmentContext';
import { EmptyMessage, LiveTable } from '../LiveTable';

/** The Kubernetes events of the environment's namespace, newest first, from the watch cache. */
export function EventsTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const events = useEnvironmentData('events', (api, n) => api.getEvents(n));

  const columns: TableColumn<EnvironmentEvent>[] = [
    {
      title: t('events.columns.type'),
      field: 'type',
      render: e =>
        e.type === 'Warning' ? (
          <StatusWarning>{e.type}</StatusWarning>
        ) : (
          <StatusOK>{e.type}</StatusOK>
        ),
    },
    { title: t('events.columns.reason'), field: 'reason' },
    {
      title: t('events.columns.object'),
      render: e => `${e.object.kind}/${e.object.name}`,
    },
    { title: t('events.columns.message'), field: 'message' },
    { title: t('events.columns.count'), field: 'count', type: 'numeric' },
    {
      title: t('events.columns.last'),
      field: 'lastTimestamp',
      defaultSort: 'desc',
      render: e =>
        e.lastTimestamp ? format.relative(e.lastTimestamp, now) : '',
    },
  ];

  return (
    <LiveTable<EnvironmentEvent>
      live={events}
      title={t('events.title')}
      options={{
        paging: true,
        pageSize: 50,
        pageSizeOptions: [20, 50, 100],
        emptyRowsWhenPaging: false,
        padding: 'dense',
      }}
      data={(events.value?.items ?? []).map(e => ({ ...e }))}
      columns={columns}
      emptyContent={<EmptyMessage>{t('events.empty')}</EmptyMessage>}
    />
  );
}
