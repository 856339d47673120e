/*
 * A worker that lost its lease (or whose operation a destroy cancelled) must stop before its
 * next write. Here the API server address accepts connections and counts requests, so the test
 * sees exactly how many writes were attempted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import { ClusterClient } from './ClusterClient';

describe('ClusterClient stops before the next write once aborted', () => {
  let server: http.Server;
  const requests: string[] = [];
  let client: ClusterClient;
  const abort = new AbortController();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url?.split('?')[0]}`);
      if (req.method === 'GET') {
        // The namespace does not exist yet: it is ours to create.
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound' }),
        );
        return;
      }
      // The lease is lost while the first object is being written.
      abort.abort(new Error('lease lost'));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ kind: 'Namespace', metadata: { name: 'env-x' } }),
      );
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    client = new ClusterClient({
      name: 'counting',
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      serviceAccountToken: 't',
      routing: { type: 'none' },
      // Plain HTTP to the counting server; client-node asks for this to allow it.
      skipTLSVerify: true,
    });
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('writes nothing after the signal fires, in apply and in prune', async () => {
    const objects = renderEnvironment(
      renderInput({
        name: 'x',
        owner: 'group:default/backend',
        purpose: 'feature',
        services: [{ name: 'global', version: '1' }],
      }),
    );
    expect(objects.length).toBeGreaterThan(5);
    // The write under way is aborted with it; no later one is sent.
    await expect(
      client.apply(objects, { signal: abort.signal }),
    ).rejects.toThrow(/aborted|lease lost/);
    expect(requests).toEqual([
      'GET /api/v1/namespaces/env-x',
      'PATCH /api/v1/namespaces/env-x',
    ]);
    await expect(
      client.prune('env-x', 'x', objects, { signal: abort.signal }),
    ).rejects.toThrow('lease lost');
    expect(requests).toHaveLength(2);
  });
});

describe('ClusterClient.apply', () => {
  let server: http.Server;
  let seen: Array<{
    method: string;
    path: string;
    dryRun: boolean;
    kind: string;
  }>;
  let active = 0;
  let most = 0;
  /** A dry run of an object of this name is refused. */
  let refuse: string | undefined;
  let client: ClusterClient;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        const obj = body ? JSON.parse(body) : undefined;
        const dryRun = url.searchParams.get('dryRun') === 'All';
        seen.push({
          method: req.method ?? '',
          path: url.pathname,
          dryRun,
          kind: obj?.kind ?? '',
        });
        active++;
        most = Math.max(most, active);
        setTimeout(() => {
          active--;
          if (req.method === 'GET') {
            res.writeHead(404, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ kind: 'Status', code: 404 }));
            return;
          }
          if (dryRun && obj?.metadata?.name === refuse) {
            res.writeHead(422, { 'Content-Type': 'application/json' });
            res.end(
              JSON.stringify({
                kind: 'Status',
                code: 422,
                reason: 'Invalid',
                message: `${obj.kind} "${refuse}" is invalid`,
              }),
            );
            return;
          }
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(obj));
        }, 5);
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    client = new ClusterClient({
      name: 'counting',
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      serviceAccountToken: 't',
      routing: { type: 'none' },
      skipTLSVerify: true,
      maxRequestsInFlight: 4,
    });
  });
  beforeEach(() => {
    seen = [];
    most = 0;
    refuse = undefined;
  });
  afterAll(() => new Promise(r => server.close(r)));

  const objects = () =>
    renderEnvironment(
      renderInput({
        name: 'x',
        owner: 'group:default/backend',
        purpose: 'feature',
        services: Array.from({ length: 12 }, (_, i) => ({
          name: `global-${i}`,
          component: 'component:default/global',
          version: '1',
        })),
      }),
    );

  it('checks every object before writing any, then writes in waves, never more than the cap at once', async () => {
    const manifests = objects();
    const written = await client.apply(manifests);
    expect(written).toHaveLength(manifests.length);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    const writes = seen.filter(s => s.method === 'PATCH' && !s.dryRun);
    const checks = seen.filter(s => s.dryRun);
    expect(checks).toHaveLength(manifests.length - 1);
    expect(writes).toHaveLength(manifests.length);
    // Every check came before the first write after the namespace's.
    const firstWrite = seen.indexOf(writes[1]);
    expect(seen.slice(firstWrite).some(s => s.dryRun)).toBe(false);
    // The quota, limit range, policies and config are written before any workload (pods
    // are admitted against them); Services go with the workloads (pods do not read them:
    // enableServiceLinks is off), which lead their wave.
    const lastFirstWave = Math.max(
      ...writes
        .map((w, i) => [w, i] as const)
        .filter(([w]) =>
          [
            'ResourceQuota',
            'LimitRange',
            'NetworkPolicy',
            'ConfigMap',
          ].includes(w.kind),
        )
        .map(([, i]) => i),
    );
    const firstWorkload = writes.findIndex(w => w.kind === 'Deployment');
    expect(firstWorkload).toBeGreaterThan(lastFirstWave);
    const firstService = writes.findIndex(w => w.kind === 'Service');
    expect(firstService).toBeGreaterThan(firstWorkload);
  });

  it('writes nothing but the namespace when a check is refused, and names the object', async () => {
    refuse = 'global-7';
    await expect(client.apply(objects())).rejects.toThrow(
      /The API server refused .*global-7 \(dry run: nothing was changed\)/,
    );
    const writes = seen.filter(s => s.method === 'PATCH' && !s.dryRun);
    expect(writes.map(w => w.kind)).toEqual(['Namespace']);
  });
});
