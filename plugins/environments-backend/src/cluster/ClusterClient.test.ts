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
