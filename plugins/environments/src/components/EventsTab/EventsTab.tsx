import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import {
  ResponseErrorPanel,
  StatusOK,
  StatusWarning,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type { EnvironmentEvent } from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useFormat, useNow } from '../../hooks/useFormat';
import { useEnvironmentData } from '../EnvironmentView/EnvironmentContext';

/** The Kubernetes events of the environment's namespace, newest first, from the watch cache. */
export function EventsTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const format = useFormat();
  const now = useNow();
  const events = useEnvironmentData('events', n => api.getEvents(n));

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

  if (events.error && !events.value)
    return <ResponseErrorPanel error={events.error} />;
  return (
    <Table<EnvironmentEvent>
      title={t('events.title')}
      isLoading={events.loading && !events.value}
      options={{
        paging: true,
        pageSize: 50,
        pageSizeOptions: [20, 50, 100],
        emptyRowsWhenPaging: false,
        padding: 'dense',
      }}
      data={(events.value?.items ?? []).map(e => ({ ...e }))}
      columns={columns}
      emptyContent={
        <Box p={2}>
          <Typography>{t('events.empty')}</Typography>
        </Box>
      }
    />
  );
}
