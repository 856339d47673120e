/*
 * The web terminal (issue #15 §1) against the local test cluster, whose kwok runs exec'd
 * commands on this machine: a shell in a pod's container through the backend's WebSocket,
 * with the real permission backend and an owner-only policy, limits, and an audit trail.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import https from 'node:https';
import request from 'supertest';
import { WebSocket } from 'ws';
import {
  TERMINAL_CLOSE,
  TerminalServerMessage,
  terminalPath,
  terminalProtocols,
} from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';
import { ownerOnlyPermissions } from '../__testUtils__/permissions';

jest.setTimeout(240_000);

/** What the auditor was told, as {eventId, phase, meta}. */
const audited: Array<{ eventId: string; phase: string; meta: any }> = [];
const recordingAuditor = createServiceFactory({
  service: coreServices.auditor,
  deps: {},
  factory: () => ({
    async createEvent(options: any) {
      audited.push({
        eventId: options.eventId,
        phase: 'initiated',
        meta: options.meta,
      });
      return {
        async success(o?: any) {
          audited.push({
            eventId: options.eventId,
            phase: 'succeeded',
            meta: { ...options.meta, ...o?.meta },
          });
        },
        async fail(o: any) {
          audited.push({
            eventId: options.eventId,
            phase: 'failed',
            meta: { ...options.meta, ...o?.meta, error: String(o?.error) },
          });
        },
      };
    },
  }),
});

/** A terminal as the portal opens it, recording what comes back. */
class Terminal {
  readonly ws: WebSocket;
  output = '';
  messages: TerminalServerMessage[] = [];
  closed?: { code: number; reason: string };
  readonly done: Promise<{ code: number; reason: string }>;

  constructor(url: string, token?: string) {
    this.ws = new WebSocket(url, terminalProtocols(token));
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.output += Buffer.from(data as Buffer).toString();
      else this.messages.push(JSON.parse(String(data)));
    });
    this.done = new Promise(resolve =>
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      }),
    );
  }

  ready() {
    return eventually('the terminal to be ready', async () => {
      if (this.closed)
        throw new Error(`closed ${this.closed.code}: ${this.closed.reason}`);
      return this.messages.find(m => m.type === 'ready');
    });
  }

  type(text: string) {
    this.ws.send(Buffer.from(text), { binary: true });
  }

  resize(cols: number, rows: number) {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  sees(pattern: RegExp) {
    return eventually(`the terminal to show ${pattern}`, async () =>
      pattern.test(this.output) ? this.output : undefined,
    );
  }
}

describe('the web terminal', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc } = testKube();
  const name = uniqueName('shell');
  let pod = '';
  let wsBase = '';
  const owner = mockCredentials.user.token('user:default/owner');
  const other = mockCredentials.user.token('user:default/other');
  const open = (token?: string, p = pod, container?: string) =>
    new Terminal(`${wsBase}${terminalPath(name, p, container)}`, token);

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      rootConfig: { permission: { enabled: true } },
      features: [...ownerOnlyPermissions(), recordingAuditor],
      config: {
        // kwok runs the command on this machine and, unlike a kubelet, keeps it when the
        // stream ends: a time limit keeps shells the tests leave behind from piling up.
        terminal: {
          idleTimeout: '10s',
          sessionsPerUser: 2,
          command: ['timeout', '--foreground', '120', '/bin/sh'],
        },
      },
    });
    wsBase = ctx.baseUrl.replace(/^http/, 'ws');
    const res = await request(ctx.backend.server)
      .post('/api/environments/environments')
      .set('Authorization', mockCredentials.user.header('user:default/owner'))
      .send({
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      });
    if (res.status !== 202) throw new Error(`create answered ${res.text}`);
    await eventually(`${name} to be Ready`, async () => {
      const env = (await ctx.api.get(`/environments/${name}`)).body;
      return env.status?.phase === 'Ready' ? env : undefined;
    });
    pod = (await ctx.api.get(`/environments/${name}/pods`)).body.items[0].name;
  });

  afterAll(async () => {
    await ctx?.api.delete(`/environments/${name}`);
    await ctx?.backend.stop();
  });

  it('runs a shell in the container for an owner, with a TTY that follows resizes', async () => {
    const t = open(owner, pod, 'global');
    const ready = await t.ready();
    expect(ready).toMatchObject({
      type: 'ready',
      environment: name,
      pod,
      container: 'global',
      command: ['timeout', '--foreground', '120', '/bin/sh'],
      idleTimeoutSeconds: 10,
    });
    // The shell computes it: the output cannot come from the request echoed back.
    t.type('echo "answer-$((6 * 7))"\n');
    await t.sees(/answer-42/);
    t.resize(101, 37);
    t.type('stty size\n');
    await t.sees(/\b37 101\b/);
    t.type('exit 3\n');
    expect(await t.done).toEqual({
      code: TERMINAL_CLOSE.normal,
      reason: 'The shell exited',
    });
    expect(t.messages).toContainEqual({
      type: 'exit',
      code: 3,
      message: 'exited with code 3',
    });
    // Audited: who, which pod and container, and how it ended.
    const events = audited.filter(
      e =>
        e.eventId === 'environment-terminal' &&
        e.meta.actor === 'user:default/owner',
    );
    expect(events.map(e => e.phase)).toEqual(['initiated', 'succeeded']);
    expect(events[1].meta).toMatchObject({
      name,
      pod,
      container: 'global',
      command: ['timeout', '--foreground', '120', '/bin/sh'],
      closeCode: 1000,
    });
  });

  it('refuses a non-owner, an unauthenticated socket and an unknown pod, with reasons', async () => {
    const refused = await open(other).done;
    expect(refused.code).toBe(TERMINAL_CLOSE.forbidden);
    expect(refused.reason).toContain('environments.environment.exec');
    expect(
      audited.some(
        e =>
          e.eventId === 'environment-access-refused' &&
          e.meta.actor === 'user:default/other' &&
          e.meta.permission === 'environments.environment.exec',
      ),
    ).toBe(true);

    expect((await open(undefined).done).code).toBe(
      TERMINAL_CLOSE.unauthenticated,
    );
    expect((await open('not-a-token').done).code).toBe(
      TERMINAL_CLOSE.unauthenticated,
    );
    const unknown = await open(owner, 'no-such-pod').done;
    expect(unknown).toEqual({
      code: TERMINAL_CLOSE.notFound,
      reason: `No pod no-such-pod in ${name}`,
    });
    const container = await open(owner, pod, 'nope').done;
    expect(container.code).toBe(TERMINAL_CLOSE.notFound);
    expect(container.reason).toContain('has no container "nope"');
  });

  it('answers a plain GET with 426, and offers nothing without the subprotocol', async () => {
    const res = await request(ctx.backend.server)
      .get(`/api/environments${terminalPath(name, pod)}`)
      .set('Authorization', mockCredentials.user.header('user:default/owner'));
    expect(res.status).toBe(426);
    expect(res.body.error.message).toContain('archipelago.terminal.v1');
    const bare = new WebSocket(`${wsBase}${terminalPath(name, pod)}`);
    const failure = await new Promise<string>(resolve => {
      bare.on('unexpected-response', (_req, r) =>
        resolve(String(r.statusCode)),
      );
      bare.on('error', e => resolve(e.message));
    });
    expect(failure).toBe('400');
    // Other upgrades still reach Express (Backstage's signals subscribes there on first
    // sight): one to another route gets that route's answer instead of hanging.
    const health = new WebSocket(`${wsBase}/health`);
    const answer = await new Promise<string>(resolve => {
      health.on('unexpected-response', (_req, r) =>
        resolve(String(r.statusCode)),
      );
      health.on('error', e => resolve(e.message));
    });
    health.terminate();
    expect(answer).toBe('200');
  });

  it('frees the place of a terminal whose browser leaves before the shell starts', async () => {
    // Two sockets dropped as soon as they open, before the backend has set anything up.
    for (let i = 0; i < 2; i++) {
      const t = open(owner);
      t.ws.on('open', () => t.ws.terminate());
      await t.done;
    }
    // The limit is 2: both places are free again.
    const a = open(owner);
    const b = open(owner);
    for (const ready of await Promise.all([a.ready(), b.ready()]))
      expect(ready.type).toBe('ready');
    a.type('exit\n');
    b.type('exit\n');
    expect((await a.done).code).toBe(TERMINAL_CLOSE.normal);
    expect((await b.done).code).toBe(TERMINAL_CLOSE.normal);
    await eventually('the dropped sessions to be audited as ended', async () =>
      audited.filter(
        e =>
          e.eventId === 'environment-terminal' &&
          e.phase === 'succeeded' &&
          /before the shell started/.test(e.meta.reason),
      ).length >= 1
        ? true
        : undefined,
    );
  });

  it('refuses a service token: terminals are for people', async () => {
    const closed = await open(mockCredentials.service.token()).done;
    expect(closed.code).toBe(TERMINAL_CLOSE.forbidden);
    expect(closed.reason).toContain('a service token may not open one');
  });

  it('limits terminals per user, and a closed one frees its place', async () => {
    const a = open(owner);
    const b = open(owner);
    await Promise.all([a.ready(), b.ready()]);
    const c = await open(owner).done;
    expect(c.code).toBe(TERMINAL_CLOSE.tooMany);
    expect(c.reason).toContain('environments.terminal.sessionsPerUser');
    a.type('exit\n');
    await a.done;
    const d = open(owner);
    await d.ready();
    b.type('exit\n');
    d.type('exit\n');
    expect((await b.done).code).toBe(TERMINAL_CLOSE.normal);
    expect((await d.done).code).toBe(TERMINAL_CLOSE.normal);
  });

  it('hangs up the shell when the browser goes away, which ends the exec', async () => {
    // The API server's own count of exec connections open now.
    const execs = async () => {
      const server = kc.getCurrentCluster()!.server;
      const options: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(options);
      const text = await new Promise<string>((resolve, reject) => {
        https
          .get(`${server}/metrics`, options, res => {
            let body = '';
            res.on('data', c => {
              body += c;
            });
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
      return text
        .split('\n')
        .filter(
          l =>
            l.startsWith('apiserver_longrunning_requests{') &&
            l.includes('resource="pods"') &&
            l.includes('subresource="exec"'),
        )
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    const before = await execs();
    const t = open(owner);
    await t.ready();
    expect(await execs()).toBe(before + 1);
    t.type('echo "up-$((40 + 2))"\n');
    await t.sees(/up-42/);
    // The API server holds an exec until its command ends, whoever left: the backend hangs
    // up the shell (Ctrl-C, Ctrl-D) so that it ends. (A command running in the foreground
    // gets the Ctrl-C from its terminal on a real node; kwok gives the shell no controlling
    // terminal, so this test leaves the shell at its prompt.)
    const gone = Date.now();
    t.ws.terminate();
    await eventually('the exec to close at the API server', async () =>
      (await execs()) === before ? true : undefined,
    );
    expect(Date.now() - gone).toBeLessThan(10_000);
  });

  it('closes a terminal after the idle timeout without keystrokes', async () => {
    const t = open(owner);
    await t.ready();
    const started = Date.now();
    const closed = await t.done;
    expect(closed.code).toBe(TERMINAL_CLOSE.idle);
    expect(closed.reason).toContain('environments.terminal.idleTimeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
  });
});
