import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import { TableColumn } from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  Operation,
  Revision,
} from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { compactDuration } from '../../format';
import { useFormat, useNow } from '../../hooks/useFormat';
import { useQueryParams } from '../../hooks/useQueryParams';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { LiveTable } from '../LiveTable';
import { OperationStatus } from '../status';
import { OperationDetails } from '../actions/OperationBanner';
import { ActionButton } from '../actions/ActionButton';
import { RollbackDialog } from '../actions/RollbackDialog';
import { RevisionDiff } from './RevisionDiff';

/** Both tables page by ten, densely, without search. */
const TABLE_OPTIONS = {
  paging: true,
  pageSize: 10,
  emptyRowsWhenPaging: false,
  padding: 'dense' as const,
  search: false,
};

/**
 * What happened to the environment: every operation with its steps and error, and every
 * revision of its spec, with a diff between any two (`?from=<rev>&to=<rev>`) and a roll back.
 */
export function HistoryTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const now = useNow();
  const { value: env } = useEnvironmentContext();
  const operations = useEnvironmentData('operations', (api, n) =>
    api.listOperations(n),
  );
  const revisions = useEnvironmentData('revisions', (api, n) =>
    api.listRevisions(n),
  );
  const [params, set] = useQueryParams();
  const [rollbackTo, setRollbackTo] = useState<Revision>();

  const revs = [...(revisions.value?.items ?? [])].sort(
    (a, b) => b.revision - a.revision,
  );
  const byNumber = (n: number) => revs.find(r => r.revision === n);
  const current = env ? byNumber(env.revision) : undefined;
  const from = byNumber(Number(params.get('from')));
  const to = byNumber(Number(params.get('to')));

  const compare = (older: number, newer: number) =>
    set({ from: String(older), to: String(newer) });

  const operationColumns: TableColumn<Operation>[] = [
    {
      title: t('history.columns.type'),
      field: 'type',
      render: o => t(`operationType.${o.type}`),
    },
    {
      title: t('history.columns.status'),
      field: 'status',
      render: o => <OperationStatus status={o.status} />,
    },
    { title: t('history.columns.requestedBy'), field: 'requestedBy' },
    {
      title: t('history.columns.created'),
      field: 'createdAt',
      render: o => format.relative(o.createdAt, now),
    },
    {
      title: t('history.columns.duration'),
      render: o =>
        o.startedAt && o.finishedAt
          ? compactDuration(
              new Date(o.finishedAt).getTime() -
                new Date(o.startedAt).getTime(),
            )
          : '',
    },
    {
      title: t('history.columns.revision'),
      field: 'revision',
      render: o => (o.revision ? `#${o.revision}` : ''),
    },
    {
      title: t('history.columns.error'),
      field: 'error',
      render: o =>
        o.error ? (
          <Typography variant="body2" color="error">
            {o.error.split('\n')[0]}
          </Typography>
        ) : null,
    },
  ];

  const revisionColumns: TableColumn<Revision>[] = [
    {
      title: t('history.columns.revision'),
      field: 'revision',
      render: r => (
        <>
          #{r.revision}
          {r.revision === env?.revision ? ` (${t('history.current')})` : ''}
        </>
      ),
    },
    { title: t('history.columns.reason'), field: 'reason' },
    { title: t('history.columns.createdBy'), field: 'createdBy' },
    {
      title: t('history.columns.created'),
      field: 'createdAt',
      render: r => format.relative(r.createdAt, now),
    },
    {
      title: t('history.columns.actions'),
      sorting: false,
      render: r => (
        <Box display="flex" style={{ gap: 4 }}>
          {byNumber(r.revision - 1) && (
            <Button
              size="small"
              aria-label={`${t('history.compare')} #${r.revision}`}
              onClick={() => compare(r.revision - 1, r.revision)}
            >
              {t('history.compare')}
            </Button>
          )}
          {r.revision !== env?.revision && (
            <ActionButton
              kind="update"
              size="small"
              color="primary"
              aria-label={`${t('history.rollback')} #${r.revision}`}
              onClick={() => setRollbackTo(r)}
            >
              {t('history.rollback')}
            </ActionButton>
          )}
        </Box>
      ),
    },
  ];

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <LiveTable<Operation>
          live={operations}
          title={t('history.operations')}
          options={TABLE_OPTIONS}
          data={(operations.value?.items ?? []).map(o => ({ ...o }))}
          columns={operationColumns}
          detailPanel={({ rowData }) => (
            <Box p={2}>
              <OperationDetails operation={rowData} />
            </Box>
          )}
        />
      </Grid>
      <Grid item xs={12}>
        <LiveTable<Revision>
          live={revisions}
          title={t('history.revisions')}
          options={TABLE_OPTIONS}
          data={revs.map(r => ({ ...r }))}
          columns={revisionColumns}
        />
      </Grid>
      {from && to && (
        <Grid item xs={12}>
          <Paper variant="outlined">
            <Box p={2}>
              <RevisionDiff from={from} to={to} />
            </Box>
          </Paper>
        </Grid>
      )}
      <RollbackDialog
        target={rollbackTo}
        current={current}
        onClose={() => setRollbackTo(undefined)}
      />
    </Grid>
  );
}
