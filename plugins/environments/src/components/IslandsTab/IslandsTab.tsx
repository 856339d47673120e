import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import StopIcon from '@material-ui/icons/Stop';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import DeleteIcon from '@material-ui/icons/Delete';
import ScheduleIcon from '@material-ui/icons/Schedule';
import {
  CopyTextButton,
  InfoCard,
  Link,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StatusPending,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { IslandView, fakeNow } from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useNow } from '../../hooks/useFormat';
import { useEnvironmentLink } from '../../hooks/useEnvironmentLink';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { EmptyMessage } from '../LiveTable';
import { ActionButton, ActionIconButton } from '../actions/ActionButton';
import { useOperationRunner } from '../actions/useOperationRunner';
import { ClockDialog } from './ClockDialog';
import { TerminalDialog } from '../Terminal/TerminalDialog';

function IslandState(props: { island: IslandView }) {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const { island } = props;
  const label = t(`islands.phase.${island.phase}`);
  const text = island.reason ? `${label}: ${island.reason}` : label;
  if (island.phase === 'Ready') return <StatusOK>{text}</StatusOK>;
  if (island.phase === 'Down' || island.phase === 'Lost')
    return <StatusError>{text}</StatusError>;
  return <StatusPending>{text}</StatusPending>;
}

/** The island's fake time, ticking every second. */
function FakeClock(props: { island: IslandView }) {
  const now = useNow(1000);
  const { clock } = props.island;
  const since = clock.since ? new Date(clock.since) : undefined;
  const fake = fakeNow(clock.effective, new Date(now), since);
  return (
    <Box>
      <code data-testid={`island-${props.island.id}-time`}>
        {fake.toISOString().replace('T', ' ').slice(0, 19)}
      </code>
      <Typography variant="caption" display="block" color="textSecondary">
        {clock.description}
      </Typography>
    </Box>
  );
}

/**
 * The environment's game-server islands (seed 002): each one's id, state and reason, node,
 * connect addresses, clock and registration, with their actions; and the cluster's port
 * ledger. `?service=<name>` shows one service's.
 */
export function IslandsTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const link = useEnvironmentLink();
  const { name, value: env, permissions } = useEnvironmentContext();
  const { request, busy } = useOperationRunner();
  const islands = useEnvironmentData('islands', (a, n) => a.listIslands(n));
  // The terminal opens in an island's pod: the dialog needs its containers.
  const pods = useEnvironmentData('pods', (a, n) => a.getPods(n));
  const ledger = useEnvironmentData('island-ledger', () =>
    env ? api.getIslandLedger(env.cluster) : Promise.resolve(undefined),
  );
  const [params] = useSearchParams();
  const only = params.get('service');
  const islandServices = (env?.status.services ?? [])
    .filter(s => s.kind === 'island')
    .map(s => s.name);
  const [service, setService] = useState<string>();
  const [count, setCount] = useState('1');
  const [clockFor, setClockFor] = useState<
    { island?: number; current?: IslandView['clock']['effective'] } | undefined
  >();
  const chosen = service ?? islandServices[0];

  const act = (
    type: 'island-restart' | 'island-stop' | 'island-start' | 'island-remove',
    id: number,
  ) => request({ type, island: id }, { alertOnRefusal: true });

  const columns: TableColumn<IslandView>[] = [
    {
      title: t('islands.columns.id'),
      field: 'id',
      highlight: true,
      render: i => <span data-testid={`island-${i.id}`}>{i.id}</span>,
    },
    { title: t('islands.columns.service'), field: 'service' },
    {
      title: t('islands.columns.state'),
      field: 'phase',
      render: i => <IslandState island={i} />,
    },
    { title: t('islands.columns.node'), field: 'node' },
    {
      title: t('islands.columns.connect'),
      render: i =>
        i.connect.length ? (
          i.connect.map(c => (
            <Box
              key={c.name}
              display="flex"
              alignItems="center"
              style={{ whiteSpace: 'nowrap' }}
              title={c.name}
            >
              <code>{c.address}</code>
              <CopyTextButton
                text={c.address}
                tooltipText={t('islands.copied')}
                aria-label={`${c.name} ${c.address}`}
              />
            </Box>
          ))
        ) : (
          <Typography variant="caption">
            {i.ports.map(p => `${p.name}:${p.port}`).join(', ')}
          </Typography>
        ),
    },
    {
      title: t('islands.columns.clock'),
      render: i => <FakeClock island={i} />,
    },
    {
      title: t('islands.columns.registered'),
      field: 'registered',
      render: i =>
        i.registered ? (
          <StatusOK>{t('common.yes')}</StatusOK>
        ) : (
          <StatusPending>{t('common.no')}</StatusPending>
        ),
    },
    {
      title: t('islands.columns.actions'),
      render: i => (
        <Box display="flex" alignItems="center">
          <ActionIconButton
            kind="update"
            label={t('islands.actions.restart', { id: String(i.id) })}
            onClick={() => act('island-restart', i.id)}
          >
            <RefreshIcon fontSize="small" />
          </ActionIconButton>
          {i.desired === 'running' ? (
            <ActionIconButton
              kind="update"
              label={t('islands.actions.stop', { id: String(i.id) })}
              onClick={() => act('island-stop', i.id)}
            >
              <StopIcon fontSize="small" />
            </ActionIconButton>
          ) : (
            <ActionIconButton
              kind="update"
              label={t('islands.actions.start', { id: String(i.id) })}
              onClick={() => act('island-start', i.id)}
            >
              <PlayArrowIcon fontSize="small" />
            </ActionIconButton>
          )}
          <ActionIconButton
            kind="update"
            label={t('islands.actions.clock', { id: String(i.id) })}
            onClick={() =>
              setClockFor({
                island: i.id,
                current:
                  i.clock.source === 'island' ? i.clock.effective : undefined,
              })
            }
          >
            <ScheduleIcon fontSize="small" />
          </ActionIconButton>
          <ActionIconButton
            kind="update"
            label={t('islands.actions.remove', { id: String(i.id) })}
            onClick={() => act('island-remove', i.id)}
          >
            <DeleteIcon fontSize="small" />
          </ActionIconButton>
          <Box
            display="flex"
            flexDirection="column"
            ml={1}
            style={{ whiteSpace: 'nowrap' }}
          >
            {i.pod && (
              <Link to={link(name, 'logs', { pod: i.pod })}>
                {t('islands.actions.logs')}
              </Link>
            )}
            {i.pod && i.phase === 'Ready' && permissions.exec.allowed && (
              <Link
                to={link(name, 'islands', {
                  service: only ?? undefined,
                  terminal: i.pod,
                })}
              >
                {t('islands.actions.terminal')}
              </Link>
            )}
            {i.previous && (
              <Link
                to={link(name, 'logs', { pod: i.previous.pod })}
                title={i.previous.reason}
              >
                {t('islands.actions.previousLogs')}
              </Link>
            )}
          </Box>
        </Box>
      ),
    },
  ];

  if (islands.error && !islands.value)
    return <ResponseErrorPanel error={islands.error} />;
  const items = (islands.value?.items ?? []).filter(
    i => !only || i.service === only,
  );
  const l = ledger.value;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <Box
          display="flex"
          flexWrap="wrap"
          alignItems="center"
          style={{ gap: 8 }}
        >
          {islandServices.length > 1 && (
            <TextField
              select
              size="small"
              variant="outlined"
              label={t('islands.add.service')}
              value={chosen ?? ''}
              onChange={e => setService(e.target.value)}
            >
              {islandServices.map(s => (
                <MenuItem key={s} value={s}>
                  {s}
                </MenuItem>
              ))}
            </TextField>
          )}
          <TextField
            size="small"
            variant="outlined"
            type="number"
            label={t('islands.add.count')}
            value={count}
            onChange={e => setCount(e.target.value)}
            inputProps={{
              min: 1,
              max: 20,
              'aria-label': t('islands.add.count'),
            }}
            style={{ width: 120 }}
          />
          <ActionButton
            kind="update"
            variant="contained"
            color="primary"
            disabled={busy || !chosen}
            onClick={() =>
              request(
                { type: 'island-add', service: chosen!, count: Number(count) },
                { alertOnRefusal: true },
              )
            }
          >
            {t('islands.add.submit')}
          </ActionButton>
          <ActionButton
            kind="update"
            variant="outlined"
            onClick={() => setClockFor({ current: env?.spec.clock })}
          >
            {t('islands.clock.environment')}
          </ActionButton>
        </Box>
        <Typography variant="caption" color="textSecondary" component="p">
          {t('islands.faketimeLimits')}
        </Typography>
      </Grid>
      <Grid item xs={12}>
        <Table<IslandView>
          title={t('islands.title')}
          isLoading={islands.loading && !islands.value}
          options={{ paging: false, padding: 'dense', search: true }}
          data={items.map(i => ({ ...i }))}
          columns={columns}
          emptyContent={
            <EmptyMessage>
              {islandServices.length
                ? t('islands.empty')
                : t('islands.noIslandServices')}
            </EmptyMessage>
          }
        />
      </Grid>
      {l && (
        <Grid item xs={12}>
          <InfoCard
            title={t('islands.ledger.title', { cluster: l.cluster })}
            subheader={t('islands.ledger.summary', {
              used: String(l.used),
              free: String(l.free),
              from: String(l.range.from),
              to: String(l.range.to),
            })}
          >
            {l.nearlyExhausted && (
              <WarningPanel
                severity="warning"
                title={t('islands.ledger.nearlyExhausted', {
                  free: String(l.free),
                })}
              />
            )}
            <Table
              options={{
                paging: false,
                padding: 'dense',
                search: false,
                toolbar: false,
              }}
              data={l.holders.map(h => ({ ...h, id: h.island }))}
              columns={[
                { title: t('islands.columns.id'), field: 'island' },
                {
                  title: t('islands.ledger.environment'),
                  field: 'environment',
                  render: h => (
                    <Link to={link(h.environment, 'islands')}>
                      {h.environment}
                    </Link>
                  ),
                },
                { title: t('islands.columns.service'), field: 'service' },
                {
                  title: t('islands.ledger.ports'),
                  render: h => h.ports.join(', '),
                },
                {
                  title: t('islands.ledger.state'),
                  render: h =>
                    h.removed
                      ? t('islands.ledger.releasing')
                      : t('islands.ledger.held'),
                },
              ]}
            />
          </InfoCard>
        </Grid>
      )}
      <ClockDialog
        open={!!clockFor}
        onClose={() => setClockFor(undefined)}
        island={clockFor?.island}
        current={clockFor?.current}
      />
      <TerminalDialog
        environment={name}
        pods={pods.value?.items ?? []}
        allowed={permissions.exec.allowed}
        loading={permissions.exec.loading}
        permission={permissions.exec.permission}
      />
    </Grid>
  );
}
