/*
 * Chaos (issue #11): the API server goes away for 60 s while operations run. The cluster here
 * is one of the test's own, "outage" (scripts/cluster/cluster.sh, ports from 36000), so other
 * suites are not disturbed. Nothing fails while it is away, and every operation finishes once
 * it is back.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import {
  eventually,
  startEnvironmentsBackend,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(600_000);

const root = path.resolve(__dirname, '../../../..');
const clusterSh = path.join(root, 'scripts/cluster/cluster.sh');
const cluster = (cmd: string) =>
  promisify(execFile)(clusterSh, [cmd, '--name', 'outage'], {
    env: { ...process.env, ARCHIPELAGO_CLUSTER_PORT_BASE: '36000' },
    timeout: 300_000,
  });

describe('an API server away for 60 s', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>> | undefined;

  beforeAll(async () => {
    if (!process.env.ARCHIPELAGO_TEST_APP_CONFIG) {
      throw new Error(
        'This test starts a local cluster of its own; run it through scripts/test.sh',
      );
    }
    await cluster('reset');
    await cluster('up');
    const config = parse(
      fs.readFileSync(
        path.join(root, '.local/app-config.cluster-outage.yaml'),
        'utf8',
      ),
    );
    const own = config.kubernetes.clusterLocatorMethods[0].clusters[0];
    ctx = await startEnvironmentsBackend({
      cluster: {
        url: own.url,
        caData: own.caData,
        serviceAccountToken: own.serviceAccountToken,
      },
      config: { readinessTimeout: '5m' },
    });
  });

  afterAll(async () => {
    await ctx?.backend.stop();
    await cluster('reset');
  });

  it('fails nothing while it is away, and finishes every operation once it is back', async () => {
    const api = ctx!.api;
    const names = [0, 1, 2].map(i => uniqueName(`outage${i}`));
    const ops: Array<{ name: string; id: string }> = [];
    for (const name of names) {
      const res = await api.post('/environments', {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      });
      expect(res.status).toBe(202);
      ops.push({ name, id: res.body.operation.id });
    }
    const operation = async (o: { name: string; id: string }) =>
      (await api.get(`/environments/${o.name}/operations/${o.id}`)).body;
    // The API server goes away while they run.
    await eventually('an operation to be under way', async () =>
      (await operation(ops[0])).status === 'running' ? true : undefined,
    );
    await cluster('down');
    const downAt = Date.now();
    // Operations asked for during the outage are accepted too.
    const restart = await api.post(`/environments/${names[1]}/operations`, {
      type: 'restart',
    });
    expect(restart.status).toBe(202);
    ops.push({ name: names[1], id: restart.body.id });
    await new Promise(r => setTimeout(r, 60_000 - (Date.now() - downAt)));
    const during = await Promise.all(ops.map(operation));
    // Nothing failed while the API server was away: operations wait for it.
    expect(during.filter(o => o.status === 'failed').map(o => o.error)).toEqual(
      [],
    );
    await cluster('up');

    for (const o of ops) {
      const op = await eventually(
        `operation ${o.id} on ${o.name} to finish`,
        async () => {
          const body = await operation(o);
          return body.status === 'succeeded' || body.status === 'failed'
            ? body
            : undefined;
        },
        300_000,
      );
      expect([o.name, op.status, op.error]).toEqual([
        o.name,
        'succeeded',
        undefined,
      ]);
    }
    for (const name of names)
      expect((await api.get(`/environments/${name}`)).body.status.phase).toBe(
        'Ready',
      );
  });
});
