/*
 * Chaos (issue #11): a backend process is killed with SIGKILL at random moments while 50
 * operations run, and another is started each time, on the same SQLite file, against the
 * local test cluster. Afterwards every operation has ended (succeeded, or failed with a
 * reason), no object is duplicated, and once the environments are destroyed nothing of them
 * is left.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedSqlitePool } from '../__testUtils__/sqlite';
import knexFactory, { Knex } from 'knex';
import { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import type { ServiceDefinition } from '@archipelago/plugin-environments-common';
import { ClusterClient } from '../cluster/ClusterClient';
import { serviceWithoutCluster } from '../__testUtils__/service';
import {
  eventually,
  testClusterAppConfig,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(600_000);

const catalog: Record<string, ServiceDefinition> = {
  'component:default/global': {
    image: 'registry.local/studio/global',
    kind: 'http',
    defaultVersion: '1',
    ports: [{ name: 'http', port: 8080 }],
  },
  'component:default/seed': {
    image: 'registry.local/studio/seed',
    kind: 'job',
    defaultVersion: '1',
  },
};

const root = path.resolve(__dirname, '../../../..');

/** Starts a backend process on the database file; resolves once its worker runs. */
function startWorker(db: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(root, 'node_modules/@backstage/cli/config/nodeTransform.cjs'),
      path.join(__dirname, '../__testUtils__/chaosWorker.ts'),
    ],
    {
      cwd: path.join(__dirname, '../..'),
      env: { ...process.env, ARCHIPELAGO_CHAOS_DB: db, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', d => (err += d));
    child.stdout!.on('data', d => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.on('exit', code =>
      reject(new Error(`worker exited (${code}): ${err}`)),
    );
  });
}

describe('a backend killed at random during 50 operations', () => {
  const { kc } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const client = new ClusterClient(
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0],
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archipelago-chaos-'));
  const db = path.join(dir, 'environments.sqlite');
  let knex: Knex;
  let worker: ChildProcess | undefined;
  const names = Array.from({ length: 5 }, (_, i) => uniqueName(`chaos${i}`));

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await knex?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends every operation, duplicates nothing and leaks nothing', async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: db },
      useNullAsDefault: true,
      pool: sharedSqlitePool,
    });
    const { store, service } = await serviceWithoutCluster(
      catalog,
      {},
      { limits: { queuedOperationsPerOwner: 200 } },
      knex,
    );
    const user = 'user:default/guest';
    for (const name of names)
      await service.create(
        {
          name,
          owner: 'group:default/backend',
          purpose: 'sandbox',
          services: [{ name: 'global' }, { name: 'seed' }],
        },
        user,
      );
    const requests = [
      { type: 'restart' },
      { type: 'deploy', services: [{ name: 'global', version: '2' }] },
      { type: 'stop', services: ['global'] },
      { type: 'start' },
      { type: 'deploy', services: [{ name: 'seed', version: '2' }] },
      { type: 'restart', services: ['global'] },
      { type: 'rollback', revision: 2 },
      { type: 'deploy', services: [{ name: 'global', version: '3' }] },
      { type: 'restart' },
    ];
    for (const request of requests)
      for (const name of names)
        await service.requestOperation(name, request, user);
    const ids = async () =>
      (
        await Promise.all(
          names.map(async n =>
            store.queue.listOperations((await store.getEnvironment(n))!.id),
          ),
        )
      ).flat();
    expect(await ids()).toHaveLength(50);

    // Kill a worker at random moments until every operation has ended.
    let kills = 0;
    const deadline = Date.now() + 420_000;
    const unfinished = async () =>
      (await ids()).filter(
        o => o.status === 'pending' || o.status === 'running',
      );
    worker = await startWorker(db);
    while ((await unfinished()).length > 0 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 200 + Math.random() * 1300));
      if (kills < 12 && (await unfinished()).length > 0) {
        const killed = worker;
        const exited = new Promise(r => killed.once('exit', r));
        killed.kill('SIGKILL');
        await exited;
        kills++;
        worker = await startWorker(db);
      }
    }
    const ops = await ids();
    expect(kills).toBeGreaterThanOrEqual(5);
    expect(
      ops.filter(o => o.status === 'pending' || o.status === 'running'),
    ).toEqual([]);
    // Each ended as succeeded, or failed with a reason.
    expect(
      ops.filter(
        o => !(o.status === 'succeeded' || (o.status === 'failed' && o.error)),
      ),
    ).toEqual([]);
    // Most survive: a takeover resumes the operation, it does not fail it.
    expect(
      ops.filter(o => o.status === 'succeeded').length,
    ).toBeGreaterThanOrEqual(40);

    // Nothing duplicated: one Deployment and one Job per environment, as rendered now.
    for (const name of names) {
      const namespace = `env-${name}`;
      const deployments = await apps.listNamespacedDeployment({ namespace });
      expect(deployments.items.map(d => d.metadata?.name)).toEqual([
        'global-v3',
      ]);
      const jobs = await batch.listNamespacedJob({ namespace });
      expect(jobs.items).toHaveLength(1);
    }

    // Destroyed, nothing of them is left.
    for (const name of names) await service.destroy(name, user);
    await eventually(
      'every destroy to finish',
      async () => ((await unfinished()).length === 0 ? true : undefined),
      240_000,
    );
    for (const name of names) {
      expect((await store.getEnvironment(name))!.destroyedAt).toBeDefined();
      expect(await client.remainingObjects(name)).toEqual([]);
    }
  });
});
