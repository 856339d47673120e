/*
 * The web terminal: a WebSocket from the portal, bridged to the API server's exec of a shell
 * in a pod's container (the protocol is in the common package's terminal.ts).
 *
 * Who may: the permission environments.environment.exec on the environment (owners only, in
 * the demo policy). Every session is audited (environment-terminal: who, which pod and
 * container, when it opened and how it ended). Limits: sessions per user, an idle timeout
 * (keystrokes count; output does not), and a maximum duration.
 */
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  AuditorService,
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import type { Request, Response, NextFunction } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import {
  TERMINAL_CLOSE,
  TERMINAL_PROTOCOL,
  TerminalClientMessage,
  TerminalServerMessage,
  environmentExecPermission,
  readTerminalProtocols,
} from '@archipelago/plugin-environments-common';
import type { Access } from '../service/access';
import type { EnvironmentsService } from '../service/EnvironmentsService';
import type { EnvironmentRecord } from '../store/EnvironmentStore';
import type { TerminalSettings } from '../config';
import type { ExecSession } from './exec';

/** The path below the plugin's base path: /environments/:name/pods/:pod/terminal. */
const TERMINAL_PATH = /^\/environments\/([^/]+)\/pods\/([^/]+)\/terminal$/;

/** What this plugin's route is, for its auth policy (it authenticates the socket itself). */
export const TERMINAL_ROUTE = '/environments/:name/pods/:pod/terminal';

/** Close reasons travel in a close frame: at most 123 bytes of UTF-8. */
function reasonText(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= 123) return text;
  return `${buf
    .subarray(0, 120)
    .toString('utf8')
    .replace(/\uFFFD$/, '')}...`;
}

/** What a browser offers in Sec-WebSocket-Protocol: the terminal's and its token. */
export function offeredToken(header: string | string[] | undefined) {
  return readTerminalProtocols(
    (Array.isArray(header) ? header.join(',') : header ?? '')
      .split(',')
      .map(p => p.trim())
      .filter(Boolean),
  );
}

export interface TerminalSessionInfo {
  id: number;
  user: string;
  environment: string;
  pod: string;
  container: string;
  openedAt: Date;
}

export interface TerminalServerOptions {
  service: EnvironmentsService;
  access: Access;
  auth: AuthService;
  auditor: AuditorService;
  logger: LoggerService;
  settings: TerminalSettings;
  /** The plugin's base path, such as /api/environments. */
  basePath: () => Promise<string>;
  /** A keystroke or an opened terminal: the environment is in use (sleep/). */
  used?: (env: EnvironmentRecord) => void;
}

export class TerminalServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // Frames from the browser are keystrokes and resizes: small.
    maxPayload: 64 * 1024,
    handleProtocols: protocols =>
      protocols.has(TERMINAL_PROTOCOL) ? TERMINAL_PROTOCOL : false,
  });
  private readonly servers = new WeakSet<Server>();
  private readonly sessions = new Map<
    number,
    TerminalSessionInfo & { close(code: number, reason: string): void }
  >();
  /** Sessions per user, counted before anything is awaited (see open). */
  private readonly perUser = new Map<string, number>();
  private nextId = 1;
  private stopping = false;

  constructor(private readonly options: TerminalServerOptions) {}

  /** The terminals open on this replica. */
  list(): TerminalSessionInfo[] {
    return [...this.sessions.values()].map(
      ({ close: _close, ...info }) => info,
    );
  }

  /**
   * Express middleware, mounted before the REST API. Upgrades reach Express only while no
   * `upgrade` listener is on the HTTP server (Node hands them to the listeners once there is
   * one, as Backstage's signals add). So the first request of any kind subscribes this
   * terminal to the server's upgrades; an upgrade that did come through Express is served
   * here.
   */
  middleware() {
    return (req: Request, res: Response, next: NextFunction) => {
      const server = (req.socket as unknown as { server?: Server }).server;
      if (server && !this.servers.has(server)) {
        this.servers.add(server);
        server.on('upgrade', (r: IncomingMessage, socket: Duplex, head) => {
          void this.upgrade(r, socket, head, r.url ?? '').then(mine => {
            // Not a terminal. While this is the server's only upgrade listener, Node hands
            // upgrades to nobody else: give it to Express, as Node does with no listener at
            // all. Backstage's signals subscribes its own listener when it first sees one
            // there; without this, its browsers would never connect.
            if (!mine && server.listenerCount('upgrade') === 1)
              this.toExpress(server, r, socket);
          });
        });
      }
      if (!TERMINAL_PATH.test(req.path)) {
        next();
        return;
      }
      if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
        res.status(426).json({
          error: {
            name: 'UpgradeRequired',
            message:
              'The terminal is a WebSocket: open it with the archipelago.terminal.v1 subprotocol (docs/portal.md#terminal)',
          },
        });
        return;
      }
      // Came through Express: no upgrade listener was on the server when it arrived.
      void this.upgrade(req, req.socket, Buffer.alloc(0), req.originalUrl);
    };
  }

  /** Serves an upgrade request as an ordinary request, as Node does with no upgrade listener. */
  private toExpress(server: Server, req: IncomingMessage, socket: Duplex) {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    // The connection asked for an upgrade: it ends with the answer, if one comes.
    res.on('finish', () => {
      res.detachSocket(socket as Socket);
      socket.end();
    });
    server.emit('request', req, res);
  }

  /** Closes every terminal (the backend is stopping). */
  closeAll() {
    this.stopping = true;
    for (const s of this.sessions.values())
      s.close(
        TERMINAL_CLOSE.shutdown,
        'The backend is restarting; open the terminal again',
      );
  }

  /** Serves the upgrade if it is a terminal's (true), else leaves it alone (false). */
  private async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: string,
  ): Promise<boolean> {
    const base = await this.options.basePath().catch(() => '');
    const path = url.split('?')[0];
    if (!base || !path.startsWith(`${base}/`)) return false;
    const match = TERMINAL_PATH.exec(path.slice(base.length));
    if (!match) return false;
    // Served here, once: another listener (signals) ignores paths that are not its own.
    if ((req as { archipelagoTerminal?: boolean }).archipelagoTerminal)
      return true;
    (req as { archipelagoTerminal?: boolean }).archipelagoTerminal = true;
    const { speaksTerminal, token } = offeredToken(
      req.headers['sec-websocket-protocol'],
    );
    if (!speaksTerminal) {
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nOffer the archipelago.terminal.v1 subprotocol\n',
      );
      return true;
    }
    const query = new URL(url, 'http://terminal').searchParams;
    let name: string;
    let pod: string;
    try {
      name = decodeURIComponent(match[1]);
      pod = decodeURIComponent(match[2]);
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return true;
    }
    // Accept first, refuse after: a browser sees a refused handshake only as "failed", while
    // a close code and reason tell the user what happened.
    this.wss.handleUpgrade(req, socket, head, ws => {
      void this.open(ws, {
        token,
        name,
        pod,
        // Empty is the pod's first container, as when left out.
        container: query.get('container') || undefined,
      });
    });
    return true;
  }

  private async open(
    ws: WebSocket,
    target: { token?: string; name: string; pod: string; container?: string },
  ) {
    const { service, access, auth, auditor, logger, settings } = this.options;
    const refuse = (code: number, reason: string) => {
      if (ws.readyState === ws.OPEN) ws.close(code, reasonText(reason));
    };
    // The browser may leave at any await below: hear it now, not once the session is set up
    // (a socket closed before its listener was added would keep its slot and its shell).
    let gone: { code: number; reason: string } | undefined;
    const listener: { onGone?: () => void } = {};
    ws.on('close', (code, reason) => {
      gone ??= {
        code,
        reason: reason?.length ? reason.toString() : 'closed by the user',
      };
      listener.onGone?.();
    });
    // A socket error (a frame over maxPayload, say) is followed by its close, with the code.
    ws.on('error', e =>
      this.options.logger.debug(`terminal socket error: ${e.message}`),
    );
    if (this.stopping) {
      refuse(TERMINAL_CLOSE.shutdown, 'The backend is restarting; try again');
      return;
    }
    let credentials: BackstageCredentials;
    try {
      if (!target.token) throw new Error('no token');
      credentials = await auth.authenticate(target.token);
    } catch {
      refuse(
        TERMINAL_CLOSE.unauthenticated,
        'Sign in again: the terminal got no valid Backstage token',
      );
      return;
    }
    // A terminal is for a person: a service's token (CI, an agent) never opens a shell.
    if (!auth.isPrincipal(credentials, 'user')) {
      refuse(
        TERMINAL_CLOSE.forbidden,
        'Terminals are for signed-in users; a service token may not open one',
      );
      return;
    }
    const user = access.actor(credentials);
    let env: EnvironmentRecord;
    try {
      env = await service.live(target.name);
    } catch {
      refuse(TERMINAL_CLOSE.notFound, `No environment ${target.name}`);
      return;
    }
    if (
      !(await access.allowed(credentials, environmentExecPermission, env.name))
    ) {
      refuse(
        TERMINAL_CLOSE.forbidden,
        `You may not open a terminal in ${env.name} (${environmentExecPermission.name})`,
      );
      return;
    }
    const pod = service.pods(env).find(p => p.name === target.pod);
    if (!pod) {
      refuse(TERMINAL_CLOSE.notFound, `No pod ${target.pod} in ${env.name}`);
      return;
    }
    let container: string;
    try {
      container = service.logContainer(pod, target.container);
    } catch (e) {
      refuse(TERMINAL_CLOSE.notFound, (e as Error).message);
      return;
    }
    const state = pod.containers.find(c => c.name === container)?.state;
    if (pod.phase !== 'Running' || state !== 'running') {
      refuse(
        TERMINAL_CLOSE.notFound,
        `${pod.name}/${container} is not running (${pod.phase}${
          state && state !== 'running' ? `, ${state}` : ''
        })`,
      );
      return;
    }
    // Counted before anything else is awaited: parallel opens cannot all pass the check.
    const open = this.perUser.get(user) ?? 0;
    if (open >= settings.sessionsPerUser) {
      refuse(
        TERMINAL_CLOSE.tooMany,
        `You already have ${open} terminals open (environments.terminal.sessionsPerUser); close one first`,
      );
      return;
    }
    this.perUser.set(user, open + 1);
    const id = this.nextId++;
    const openedAt = new Date();
    const event = await auditor.createEvent({
      eventId: 'environment-terminal',
      severityLevel: 'medium',
      meta: {
        actor: user,
        name: env.name,
        pod: pod.name,
        container,
        command: settings.command,
        session: id,
      },
    });
    let upstream: ExecSession | undefined;
    let ended = false;
    let idle: NodeJS.Timeout | undefined;
    let lastUse = 0;
    const timers: { lifetime?: NodeJS.Timeout } = {};
    const used = () => {
      // The environment is in use: sleep/ hears of it at most once a minute per session.
      const now = Date.now();
      if (now - lastUse < 60_000) return;
      lastUse = now;
      this.options.used?.(env);
    };
    const end = (code: number, reason: string, outcome?: Error) => {
      if (ended) return;
      ended = true;
      if (idle) clearTimeout(idle);
      clearTimeout(timers.lifetime);
      this.sessions.delete(id);
      const n = (this.perUser.get(user) ?? 1) - 1;
      if (n > 0) this.perUser.set(user, n);
      else this.perUser.delete(user);
      upstream?.close();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING)
        ws.close(code, reasonText(reason));
      const meta = {
        closeCode: code,
        reason,
        durationSeconds: Math.round((Date.now() - openedAt.getTime()) / 1000),
      };
      void (outcome
        ? event.fail({ error: outcome, meta })
        : event.success({ meta }));
    };
    const resetIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(
        () =>
          end(
            TERMINAL_CLOSE.idle,
            `Closed after ${Math.round(
              settings.idleTimeoutSeconds / 60,
            )} min without a keystroke (environments.terminal.idleTimeout)`,
          ),
        settings.idleTimeoutSeconds * 1000,
      );
      idle.unref?.();
    };
    timers.lifetime = setTimeout(
      () =>
        end(
          TERMINAL_CLOSE.expired,
          'Closed: the session reached environments.terminal.maxDuration',
        ),
      settings.maxDurationSeconds * 1000,
    );
    timers.lifetime.unref?.();
    this.sessions.set(id, {
      id,
      user,
      environment: env.name,
      pod: pod.name,
      container,
      openedAt,
      close: (code, reason) => end(code, reason),
    });
    // Keystrokes that arrive while the exec is being set up are kept for it.
    const early: Buffer[] = [];
    let size: { cols: number; rows: number } | undefined;
    ws.on('message', (data, isBinary) => {
      if (ended) return;
      if (isBinary) {
        const buf = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
        resetIdle();
        used();
        if (upstream) upstream.stdin(buf);
        else early.push(buf);
        return;
      }
      let msg: TerminalClientMessage;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (
        msg?.type === 'resize' &&
        Number.isInteger(msg.cols) &&
        Number.isInteger(msg.rows) &&
        msg.cols > 0 &&
        msg.rows > 0 &&
        msg.cols <= 1000 &&
        msg.rows <= 1000
      ) {
        size = { cols: msg.cols, rows: msg.rows };
        upstream?.resize(msg.cols, msg.rows);
      }
    });
    listener.onGone = () => end(gone!.code, gone!.reason);
    if (gone) {
      end(gone.code, `${gone.reason}, before the shell started`);
      return;
    }
    resetIdle();
    used();
    try {
      upstream = await service.exec(
        env,
        { pod: pod.name, container },
        settings.command,
        {
          output: data => {
            if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
          },
          exit: result => {
            if (ws.readyState === ws.OPEN)
              ws.send(
                JSON.stringify({
                  type: 'exit',
                  ...result,
                } satisfies TerminalServerMessage),
              );
          },
          closed: reason =>
            end(
              reason === 'exited'
                ? TERMINAL_CLOSE.normal
                : TERMINAL_CLOSE.upstream,
              reason === 'exited' ? 'The shell exited' : reason,
            ),
        },
      );
    } catch (e) {
      logger.warn(
        `terminal ${id} for ${user} in ${env.name}/${
          pod.name
        }/${container} failed: ${String(e)}`,
      );
      end(
        TERMINAL_CLOSE.upstream,
        `The API server refused the exec: ${String(
          (e as Error)?.message ?? e,
        )}`,
        e as Error,
      );
      return;
    }
    if (ended) {
      upstream.close();
      return;
    }
    if (size) upstream.resize(size.cols, size.rows);
    for (const b of early.splice(0)) upstream.stdin(b);
    ws.send(
      JSON.stringify({
        type: 'ready',
        environment: env.name,
        pod: pod.name,
        container,
        command: settings.command,
        idleTimeoutSeconds: settings.idleTimeoutSeconds,
      } satisfies TerminalServerMessage),
    );
    logger.info(
      `terminal ${id} opened by ${user} in ${env.name}/${pod.name}/${container}`,
    );
  }
}
