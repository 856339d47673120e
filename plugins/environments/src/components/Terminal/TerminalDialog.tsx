import { Suspense, lazy, useCallback, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { Progress, WarningPanel } from '@backstage/core-components';
import {
  discoveryApiRef,
  identityApiRef,
  useApi,
} from '@backstage/core-plugin-api';
import { useTranslationRef } from '@backstage/core-plugin-api/alpha';
import useAsync from 'react-use/esm/useAsync';
import type { PodView } from '@archipelago/plugin-environments-common';
import { environmentsTranslationRef } from '../../translation';
import type { TerminalState } from './XTerm';
import { canReconnect, terminalUrl } from './terminalSocket';

// xterm.js is large: it loads when a terminal opens, not with the environment page.
const XTerm = lazy(() => import('./XTerm').then(m => ({ default: m.XTerm })));

/**
 * The terminal of the pod named by `?terminal=<pod>` (and `container`), over the page. The
 * query keeps it a link: pasting it opens the same shell for someone who may. Closing the
 * dialog closes the socket, which ends the shell.
 */
export function TerminalDialog(props: {
  environment: string;
  pods: PodView[];
  /** Whether the user may open it (environments.environment.exec). */
  allowed: boolean;
  /** While the permission is being asked. */
  loading?: boolean;
  permission: string;
}) {
  const { environment, pods, allowed, permission, loading } = props;
  const { t } = useTranslationRef(environmentsTranslationRef);
  const [params, setParams] = useSearchParams();
  const podName = params.get('terminal') ?? '';
  const pod = pods.find(p => p.name === podName);
  const container = params.get('container') ?? pod?.containers[0]?.name ?? '';
  const discovery = useApi(discoveryApiRef);
  const identity = useApi(identityApiRef);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<TerminalState>({ phase: 'connecting' });
  const onState = useCallback((s: TerminalState) => setState(s), []);
  const open = podName !== '';
  const target = useAsync(async () => {
    if (!open || !allowed) return undefined;
    const [base, credentials] = await Promise.all([
      discovery.getBaseUrl('environments'),
      identity.getCredentials(),
    ]);
    return { base, token: credentials.token };
  }, [open, allowed, discovery, identity, attempt]);

  const close = () => {
    const next = new URLSearchParams(params);
    next.delete('terminal');
    next.delete('container');
    setParams(next, { replace: true });
  };
  const setContainer = (c: string) => {
    const next = new URLSearchParams(params);
    next.set('container', c);
    setParams(next, { replace: true });
  };
  if (!open) return null;

  let body;
  if (loading) {
    body = <Progress />;
  } else if (!allowed) {
    body = (
      <WarningPanel
        severity="info"
        title={t('terminal.notAllowed', { permission })}
      />
    );
  } else if (!pod) {
    body = (
      <WarningPanel
        severity="warning"
        title={t('terminal.noPod', { pod: podName })}
      />
    );
  } else if (target.error) {
    body = <WarningPanel severity="error" title={target.error.message} />;
  } else if (!target.value) {
    body = <Progress />;
  } else {
    body = (
      <Suspense fallback={<Progress />}>
        <XTerm
          key={`${pod.name}/${container}/${attempt}`}
          url={terminalUrl(target.value.base, environment, pod.name, container)}
          token={target.value.token}
          onState={onState}
        />
      </Suspense>
    );
  }

  let status = '';
  if (state.phase === 'connecting') status = t('terminal.connecting');
  else if (state.phase === 'open')
    status = t('terminal.connected', {
      command: state.ready.command.join(' '),
      minutes: String(Math.round(state.ready.idleTimeoutSeconds / 60)),
    });
  else
    status = t('terminal.closed', {
      reason: state.reason || String(state.code),
    });

  return (
    <Dialog open onClose={close} fullWidth maxWidth="lg">
      <DialogTitle>
        {t('terminal.title', { pod: podName, container })}
      </DialogTitle>
      <DialogContent>
        {pod && pod.containers.length > 1 && (
          <Box mb={1}>
            <TextField
              select
              size="small"
              label={t('logs.container')}
              value={container}
              onChange={e => setContainer(e.target.value)}
              inputProps={{ 'aria-label': t('logs.container') }}
            >
              {pod.containers.map(c => (
                <MenuItem key={c.name} value={c.name}>
                  {c.name}
                </MenuItem>
              ))}
            </TextField>
          </Box>
        )}
        <Box height="60vh" bgcolor="#000" p={1}>
          {body}
        </Box>
        {allowed && pod && (
          <Typography
            variant="caption"
            color={state.phase === 'closed' ? 'error' : 'textSecondary'}
            data-testid="terminal-status"
            role="status"
          >
            {status}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        {state.phase === 'closed' && canReconnect(state.code) && allowed && (
          <Button
            onClick={() => {
              setState({ phase: 'connecting' });
              setAttempt(a => a + 1);
            }}
          >
            {t('terminal.reconnect')}
          </Button>
        )}
        <Button color="primary" onClick={close}>
          {t('terminal.close')}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
