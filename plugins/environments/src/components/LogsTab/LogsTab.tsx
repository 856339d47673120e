import { useMemo } from 'react';
import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Switch from '@material-ui/core/Switch';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import {
  LogViewer,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import { parseDuration } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import { useFormat } from '../../hooks/useFormat';
import { useQueryParams } from '../../hooks/useQueryParams';
import {
  useEnvironmentContext,
  useEnvironmentData,
} from '../EnvironmentView/EnvironmentContext';
import { SelectField } from '../SelectField';
import { useLogStream } from './useLogStream';
import { MAX_LOG_LINES } from './logBuffer';

const SINCE_CHOICES = ['1m', '5m', '15m', '1h', '6h', '1d', 'all'] as const;

const useStyles = makeStyles(theme => ({
  controls: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  viewer: { height: '65vh', minHeight: 320 },
}));

/** Saves the text shown as a file, named after the environment, pod and container. */
function download(text: string, fileName: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}

/**
 * A container's log, streamed live. Everything the view shows is in its URL, so a link to a
 * pod's log, for a container, since a time, can be pasted into team docs:
 * `?pod=<pod>&container=<container>&since=10m` (or `sinceTime=<ISO>`), `follow=0` to read
 * without following, `wrap=1` to wrap lines. Search, copy and download are the LogViewer's.
 */
export function LogsTab() {
  const classes = useStyles();
  const { t } = useTranslationRef(environmentsTranslationRef);
  const format = useFormat();
  const { name, permissions } = useEnvironmentContext();
  const pods = useEnvironmentData('pods', (api, n) => api.getPods(n));
  const [params, set] = useQueryParams();

  const podName = params.get('pod') ?? undefined;
  // A link with a bad since or sinceTime says so, and shows the default instead.
  const askedSinceTime = params.get('sinceTime') ?? undefined;
  const badSinceTime =
    askedSinceTime !== undefined && Number.isNaN(Date.parse(askedSinceTime));
  const sinceTime = badSinceTime ? undefined : askedSinceTime;
  const askedSince = params.get('since') ?? undefined;
  const badSince =
    askedSince !== undefined &&
    askedSince !== 'all' &&
    parseDuration(askedSince) === undefined;
  const since =
    (badSince ? undefined : askedSince) ?? (sinceTime ? undefined : '15m');
  const follow = params.get('follow') !== '0';
  const wrap = params.get('wrap') === '1';
  const pod = pods.value?.items.find(p => p.name === podName);
  const containers = pod?.containers.map(c => c.name) ?? [];
  const container = params.get('container') ?? containers[0];
  const sinceSeconds =
    since && since !== 'all' ? parseDuration(since) : undefined;

  const allowed = permissions.logs.allowed;
  const stream = useLogStream({
    name,
    pod: allowed && pod ? pod.name : undefined,
    container,
    sinceSeconds,
    sinceTime,
    follow,
  });

  // The choices, plus what a pasted link asked for: another duration, or an instant.
  const sinceOptions = useMemo(() => {
    const options: Array<{ value: string; label: string }> = SINCE_CHOICES.map(
      c => ({ value: c, label: t(`logs.sinceOptions.${c}`) }),
    );
    if (since && !(SINCE_CHOICES as readonly string[]).includes(since))
      options.push({ value: since, label: t('logs.sinceOther', { since }) });
    if (sinceTime)
      options.push({
        value: `time:${sinceTime}`,
        label: t('logs.sinceTime', { time: format.dateTime(sinceTime) }),
      });
    return options;
  }, [since, sinceTime, t, format]);

  let streamMessage = '';
  if (stream.state === 'error')
    streamMessage = t('logs.failed', { error: String(stream.error?.message) });
  else if (stream.state === 'ended') streamMessage = t('logs.ended');
  else if (follow) streamMessage = t('logs.following');

  if (permissions.logs.loading) return <Progress />;
  if (!allowed) {
    return (
      <WarningPanel
        severity="info"
        title={t('logs.denied')}
        message={permissions.logs.permission}
      />
    );
  }
  if (pods.error && !pods.value)
    return <ResponseErrorPanel error={pods.error} />;
  if (!pods.value) return <Progress />;

  return (
    <>
      <div className={classes.controls}>
        <SelectField
          id="logs-pod"
          label={t('logs.pod')}
          minWidth={280}
          value={pod ? pod.name : ''}
          options={pods.value.items.map(p => ({
            value: p.name,
            label: p.name,
          }))}
          onChange={value => {
            const next = pods.value?.items.find(p => p.name === value);
            set({ pod: next?.name, container: next?.containers[0]?.name });
          }}
        />
        <SelectField
          id="logs-container"
          label={t('logs.container')}
          value={container ?? ''}
          options={containers.map(c => ({ value: c, label: c }))}
          onChange={value => set({ container: value })}
        />
        <SelectField
          id="logs-since"
          label={t('logs.since')}
          minWidth={200}
          value={sinceTime ? `time:${sinceTime}` : since ?? 'all'}
          options={sinceOptions}
          onChange={value => {
            if (value.startsWith('time:'))
              set({ sinceTime: value.slice(5), since: undefined });
            else set({ since: value, sinceTime: undefined });
          }}
        />
        <FormControlLabel
          control={
            <Switch
              checked={follow}
              onChange={e =>
                set({ follow: e.target.checked ? undefined : '0' })
              }
              color="primary"
            />
          }
          label={t('logs.follow')}
        />
        <FormControlLabel
          control={
            <Switch
              checked={wrap}
              onChange={e => set({ wrap: e.target.checked ? '1' : undefined })}
              color="primary"
            />
          }
          label={t('logs.wrap')}
        />
      </div>
      {badSince && (
        <WarningPanel
          severity="warning"
          title={t('logs.badSince', { since: askedSince })}
        />
      )}
      {badSinceTime && (
        <WarningPanel
          severity="warning"
          title={t('logs.badSinceTime', { sinceTime: askedSinceTime })}
        />
      )}
      {!podName && (
        <Typography>
          {pods.value.items.length ? t('logs.choosePod') : t('logs.noPods')}
        </Typography>
      )}
      {podName && !pod && (
        <WarningPanel
          severity="warning"
          title={t('logs.missingPod', { pod: podName })}
        />
      )}
      {pod && (
        <>
          <Box mb={1}>
            <Typography
              variant="caption"
              color="textSecondary"
              data-testid="log-state"
              data-state={stream.state}
            >
              {streamMessage}
              {stream.truncated
                ? ` ${t('logs.truncated', { lines: String(MAX_LOG_LINES) })}`
                : ''}
            </Typography>
          </Box>
          <div className={classes.viewer} data-testid="log-viewer">
            <LogViewer
              text={stream.text}
              textWrap={wrap}
              onDownloadLog={() =>
                download(stream.text, `${name}-${pod.name}-${container}.log`)
              }
            />
          </div>
        </>
      )}
    </>
  );
}
