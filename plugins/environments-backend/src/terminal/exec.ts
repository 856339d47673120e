/*
 * The upstream half of a terminal: a TTY exec in a pod's container, through the API server's
 * WebSocket channel protocol (v5.channel.k8s.io, else v4).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { WebSocket } from 'ws';

/** Channel numbers of the API server's exec protocol. */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
/** v5: a frame on this channel closes the stream named by its second byte. */
const CLOSE = 255;

/** The API server's exec subprotocols, newest first (v5 adds closing a single stream). */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface ExecHandlers {
  /** Output of the container (stdout; a TTY merges stderr into it). */
  output(data: Buffer): void;
  /** The command exited: its exit code when it failed with one. */
  exit(result: { code?: number; message: string }): void;
  /** The upstream socket closed, whatever the reason; called once. */
  closed(reason: string): void;
}

export interface ExecSession {
  /** The subprotocol the API server chose. */
  readonly protocol: string;
  stdin(data: Buffer): void;
  resize(cols: number, rows: number): void;
  close(): void;
}

/**
 * Reads the exit status the API server sends on channel 3: a metav1.Status. A non-zero exit is
 * a Failure with reason NonZeroExitCode and the code in an ExitCode cause.
 */
export function exitOf(status: unknown): { code?: number; message: string } {
  const s = (status ?? {}) as {
    status?: string;
    message?: string;
    reason?: string;
    details?: { causes?: Array<{ reason?: string; message?: string }> };
  };
  if (s.status === 'Success') return { code: 0, message: 'exited' };
  const cause = s.details?.causes?.find(c => c.reason === 'ExitCode');
  const code = cause?.message ? Number(cause.message) : undefined;
  if (code !== undefined && Number.isInteger(code))
    return { code, message: `exited with code ${code}` };
  // Runtimes that give no cause say it in the message ("... exit status 3").
  const said = /exit (?:status|code) (\d+)/.exec(s.message ?? '');
  if (said)
    return {
      code: Number(said[1]),
      message: `exited with code ${said[1]}`,
    };
  return { message: s.message ?? s.reason ?? 'the exec ended' };
}

/**
 * Starts `command` with a TTY in the container and bridges it to the handlers. The socket to
 * the API server carries the cluster's credentials as the KubeConfig applies them to any
 * request (bearer token, client certificate, CA).
 */
export async function execInContainer(
  kc: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  command: string[],
  handlers: ExecHandlers,
): Promise<ExecSession> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the cluster has no server URL');
  const query = new URLSearchParams({
    container: target.container,
    stdin: 'true',
    stdout: 'true',
    stderr: 'false',
    tty: 'true',
  });
  for (const c of command) query.append('command', c);
  const url = `${server
    .replace(/^http/, 'ws')
    .replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(
    target.namespace,
  )}/pods/${encodeURIComponent(target.pod)}/exec?${query}`;
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const ws = new WebSocket(url, PROTOCOLS, options);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (e?: Error) => {
      if (settled) return;
      settled = true;
      if (e) reject(e);
      else resolve();
    };
    ws.once('open', () => settle());
    ws.once('error', e => settle(e));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      res.on('end', () => {
        let message = body;
        try {
          message = JSON.parse(body).message ?? body;
        } catch {
          // not a Status: the body as it is
        }
        settle(new Error(`${res.statusCode}: ${message}`.trim()));
      });
    });
  });
  let exited = false;
  ws.on('message', (raw, isBinary) => {
    const data = Array.isArray(raw)
      ? Buffer.concat(raw)
      : Buffer.from(raw as ArrayBuffer);
    if (!isBinary || data.length < 1) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT || channel === STDERR) {
      if (payload.length) handlers.output(payload);
    } else if (channel === STATUS) {
      exited = true;
      let status: unknown;
      try {
        status = JSON.parse(payload.toString('utf8'));
      } catch {
        status = { message: payload.toString('utf8') };
      }
      handlers.exit(exitOf(status));
      ws.close();
    }
  });
  let closed = false;
  ws.on('close', (code: number, reason: Buffer) => {
    if (closed) return;
    closed = true;
    handlers.closed(
      exited
        ? 'exited'
        : `the API server closed the exec (${code}${
            reason?.length ? `: ${reason.toString()}` : ''
          })`,
    );
  });
  ws.on('error', (e: Error) => {
    if (closed) return;
    closed = true;
    handlers.closed(`the exec failed: ${e.message}`);
  });
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), data]));
  };
  return {
    protocol: ws.protocol,
    stdin: data => send(STDIN, data),
    resize: (cols, rows) =>
      send(
        RESIZE,
        Buffer.from(JSON.stringify({ Width: cols, Height: rows }), 'utf8'),
      ),
    close: () => {
      if (ws.readyState !== ws.OPEN && ws.readyState !== ws.CONNECTING) return;
      // Neither the API server nor the kubelet ends a command when its exec's connection
      // goes (as with kubectl exec): hang up as a terminal would. Ctrl-C interrupts what
      // runs in the foreground, Ctrl-D ends the shell at its prompt, and v5 ends stdin.
      if (!exited && ws.readyState === ws.OPEN) {
        send(STDIN, Buffer.from('\x03\x04'));
        if (ws.protocol === 'v5.channel.k8s.io')
          ws.send(Buffer.from([CLOSE, STDIN]));
      }
      ws.close();
      // The API server answers the close frame only once the command's streams end: drop
      // the connection after a moment instead.
      setTimeout(() => ws.terminate(), 2000).unref?.();
    },
  };
}
