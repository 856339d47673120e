import { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Chip from '@material-ui/core/Chip';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import type {
  AlertRuleKey,
  EnvironmentAlerts,
} from '@archipelago/plugin-environments-common';
import { environmentsApiRef } from '../../api';
import { environmentsTranslationRef } from '../../translation';
import { useFormat, useNow } from '../../hooks/useFormat';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { EmptyMessage } from '../LiveTable';
import { refusalOf } from '../actions/useOperationRunner';

type RuleRow = EnvironmentAlerts['rules'][number];
type HistoryRow = EnvironmentAlerts['history'][number];

/** A refusal's message, with every field a 400 names (rules.degradedFor: …). */
function problemOf(e: unknown): string {
  const { message, fields } = refusalOf(e);
  if (fields.length)
    return fields.map(x => `${x.path}: ${x.message}`).join('; ');
  return message;
}

/**
 * The environment's alerts: the rules in effect and where each comes from, the chat channels
 * they go to, watching, and the latest alerts sent. Users who may update the environment
 * change its rules and channels here.
 */
export function AlertsTab() {
  const { t } = useTranslationRef(environmentsTranslationRef);
  const api = useApi(environmentsApiRef);
  const format = useFormat();
  const now = useNow();
  const { name, permissions, refresh } = useEnvironmentContext();
  const alerts = useEnvironmentData('alerts', (a, n) => a.getAlerts(n));
  // The answer of the last change, shown until the next load.
  const [latest, setLatest] = useState<EnvironmentAlerts>();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Partial<Record<AlertRuleKey, string>>>({});
  const [channels, setChannels] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  // A refusal's messages by field (rules.crashLoop, channels[0]), shown at the field.
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  useEffect(() => setLatest(undefined), [alerts.value]);

  if (alerts.error && !alerts.value)
    return <ResponseErrorPanel error={alerts.error} />;
  const view = latest ?? alerts.value;
  if (!view) return <Progress />;
  const mayUpdate = permissions.update.allowed;

  const run = async (change: () => Promise<EnvironmentAlerts>) => {
    setBusy(true);
    setProblem(undefined);
    setFieldErrors({});
    try {
      setLatest(await change());
      setEditing(false);
      refresh();
    } catch (e) {
      setProblem(problemOf(e));
      setFieldErrors(
        Object.fromEntries(refusalOf(e).fields.map(f => [f.path, f.message])),
      );
    } finally {
      setBusy(false);
    }
  };

  const startEditing = () => {
    setDraft(
      Object.fromEntries(
        view.rules
          .filter(r => r.source === 'environment')
          .map(r => [r.key, r.value]),
      ),
    );
    setChannels(
      view.channels.source === 'environment' ? view.channels.selected : null,
    );
    setProblem(undefined);
    setFieldErrors({});
    setEditing(true);
  };

  const save = () =>
    run(() =>
      api.updateAlerts(name, {
        rules: Object.fromEntries(
          Object.entries(draft).filter(([, v]) => v && v.trim()),
        ),
        channels,
      }),
    );

  const describe: Record<AlertRuleKey, string> = {
    degradedFor: t('alerts.rules.degradedFor'),
    crashLoop: t('alerts.rules.crashLoop'),
    islandDown: t('alerts.rules.islandDown'),
    operationFailed: t('alerts.rules.operationFailed'),
    expiringWithin: t('alerts.rules.expiringWithin'),
  };
  const ruleColumns: TableColumn<RuleRow>[] = [
    {
      title: t('alerts.columns.rule'),
      render: r => (
        <>
          <Typography variant="body2">
            <code>{r.key}</code>
          </Typography>
          <Typography variant="caption" color="textSecondary">
            {describe[r.key]}
          </Typography>
        </>
      ),
    },
    {
      title: t('alerts.columns.value'),
      render: r => <code>{r.value}</code>,
    },
    {
      title: t('alerts.columns.source'),
      render: r =>
        r.source === 'environment' ? (
          <Chip size="small" label={t('alerts.source.environment')} />
        ) : (
          <Chip
            size="small"
            variant="outlined"
            label={t('alerts.source.purpose')}
          />
        ),
    },
    {
      title: t('alerts.columns.purposeDefault'),
      render: r => <code>{r.purposeDefault}</code>,
    },
  ];

  const historyColumns: TableColumn<HistoryRow>[] = [
    {
      title: t('alerts.columns.when'),
      render: h => format.relative(h.at, now),
    },
    {
      title: t('alerts.columns.kind'),
      render: h =>
        h.kind === 'firing' ? (
          <StatusError>{t('alerts.kind.firing')}</StatusError>
        ) : (
          <StatusOK>{t('alerts.kind.resolved')}</StatusOK>
        ),
    },
    { title: t('alerts.columns.rule'), field: 'rule' },
    {
      title: t('alerts.columns.alert'),
      render: h => (
        <>
          <Typography variant="body2">{h.title}</Typography>
          {h.details.map((d, i) => (
            <Typography key={i} variant="caption" color="textSecondary">
              {d}
            </Typography>
          ))}
        </>
      ),
    },
  ];

  const channelNames = view.channels.available.map(c => c.name);
  return (
    <>
      <Box
        mb={2}
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        gridGap={16}
      >
        <Typography variant="body2" color="textSecondary">
          {t('alerts.recipients', {
            owner: view.owner,
            watchers: String(view.watchers.length),
          })}
        </Typography>
        <Button
          variant="outlined"
          color="primary"
          disabled={busy}
          onClick={() => run(() => api.setWatching(name, !view.watching))}
        >
          {view.watching ? t('alerts.unwatch') : t('alerts.watch')}
        </Button>
      </Box>
      {problem && (
        <Box mb={2}>
          <Alert severity="error" data-testid="alerts-problem">
            {problem}
          </Alert>
        </Box>
      )}
      {!!view.open.length && (
        <Box mb={2}>
          <Alert severity="warning" data-testid="alerts-open">
            {view.open.map(o => o.title).join('; ')}
          </Alert>
        </Box>
      )}
      <Box mb={2}>
        <Table<RuleRow>
          title={t('alerts.rulesTitle')}
          options={{ paging: false, search: false, padding: 'dense' }}
          data={view.rules.map(r => ({ ...r }))}
          columns={ruleColumns}
        />
      </Box>
      <Box mb={2}>
        {editing && (
          <Box mb={2}>
            <InfoCard title={t('alerts.edit')}>
              <Box display="flex" flexWrap="wrap" gridGap={16}>
                {view.rules.map(r => (
                  <TextField
                    key={r.key}
                    id={`alert-rule-${r.key}`}
                    size="small"
                    label={r.key}
                    value={draft[r.key] ?? ''}
                    placeholder={r.purposeDefault}
                    error={!!fieldErrors[`rules.${r.key}`]}
                    helperText={
                      fieldErrors[`rules.${r.key}`] ??
                      t('alerts.followsPurpose')
                    }
                    onChange={e =>
                      setDraft({ ...draft, [r.key]: e.target.value })
                    }
                  />
                ))}
              </Box>
            </InfoCard>
          </Box>
        )}
        <InfoCard title={t('alerts.channelsTitle')}>
          {!channelNames.length && (
            <Typography variant="body2">{t('alerts.noChannels')}</Typography>
          )}
          {!!channelNames.length && !editing && (
            <Typography variant="body2">
              {view.channels.selected.length
                ? view.channels.selected.join(', ')
                : t('alerts.noChannelChosen')}{' '}
              (
              {view.channels.source === 'default'
                ? t('alerts.channelsDefault')
                : t('alerts.channelsChosen')}
              )
            </Typography>
          )}
          {!!channelNames.length && editing && (
            <FormGroup row>
              <FormControlLabel
                control={
                  <Checkbox
                    checked={channels === null}
                    onChange={e =>
                      setChannels(
                        e.target.checked ? null : view.channels.selected,
                      )
                    }
                  />
                }
                label={t('alerts.channelsDefault')}
              />
              {view.channels.available.map(c => (
                <FormControlLabel
                  key={c.name}
                  control={
                    <Checkbox
                      disabled={channels === null}
                      checked={(channels ?? view.channels.selected).includes(
                        c.name,
                      )}
                      onChange={e =>
                        setChannels(
                          e.target.checked
                            ? [...(channels ?? []), c.name]
                            : (channels ?? []).filter(x => x !== c.name),
                        )
                      }
                    />
                  }
                  label={`${c.name} (${c.type})`}
                />
              ))}
            </FormGroup>
          )}
          {editing &&
            Object.entries(fieldErrors)
              .filter(([path]) => path.startsWith('channels'))
              .map(([path, message]) => (
                <Typography key={path} variant="caption" color="error">
                  {path}: {message}
                </Typography>
              ))}
          {mayUpdate && (
            <Box mt={2} display="flex" gridGap={8}>
              {!editing && (
                <Button variant="outlined" onClick={startEditing}>
                  {t('alerts.edit')}
                </Button>
              )}
              {editing && (
                <>
                  <Button
                    variant="contained"
                    color="primary"
                    disabled={busy}
                    onClick={save}
                  >
                    {t('alerts.save')}
                  </Button>
                  <Button disabled={busy} onClick={() => setEditing(false)}>
                    {t('alerts.cancel')}
                  </Button>
                </>
              )}
            </Box>
          )}
        </InfoCard>
      </Box>
      <Table<HistoryRow>
        title={t('alerts.historyTitle')}
        options={{
          paging: true,
          pageSize: 20,
          emptyRowsWhenPaging: false,
          search: false,
          padding: 'dense',
        }}
        data={view.history.map(h => ({ ...h }))}
        columns={historyColumns}
        emptyContent={<EmptyMessage>{t('alerts.noHistory')}</EmptyMessage>}
      />
    </>
  );
}
