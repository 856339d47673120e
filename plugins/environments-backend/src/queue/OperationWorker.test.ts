import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { Reconciler } from '../reconcile/Reconciler';
import { EnvironmentStore, OperationRecord } from '../store/EnvironmentStore';
import { OperationWorker } from './OperationWorker';

jest.setTimeout(30_000);

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('OperationWorker', () => {
  let store: EnvironmentStore;
  let worker: OperationWorker | undefined;
  beforeEach(async () => {
    store = await EnvironmentStore.create(await databases.init('SQLITE_3'));
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  const createOn = async (cluster: string, name: string) =>
    (
      await store.createEnvironment({
        spec: {
          name,
          owner: 'group:default/backend',
          purpose: 'feature',
          services: [{ name: 'game', version: '1' }],
        },
        cluster,
        namespace: `env-${name}`,
        createdBy: 'u',
      })
    ).operation;

  it('keeps a short test lease (an option, not config) alive while an operation outlasts it, within the cluster cap', async () => {
    const first = await createOn('local', 'w1');
    const second = await createOn('local', 'w2');
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const reconciler = {
      execute: async (op: OperationRecord) => {
        started.push(op.environment);
        running++;
        most = Math.max(most, running);
        await sleep(900); // three leases
        running--;
      },
    } as unknown as Reconciler;
    worker = new OperationWorker(
      store.queue,
      reconciler,
      mockServices.logger.mock(),
      {
        concurrencyPerCluster: 1,
        clusters: ['local'],
        pollIntervalMs: 50,
        leaseMs: 300,
        maxAttempts: 3,
      },
    );
    worker.start();
    // Meanwhile another replica finds no free slot, and cannot take the running operation.
    const rivals: Array<OperationRecord | undefined> = [];
    // (Only while the first runs, well before it ends at 900 ms.)
    for (let i = 0; i < 5; i++) {
      await sleep(120);
      rivals.push(
        await store.queue.claimNext('rival', {
          leaseMs: 60_000,
          maxPerCluster: 1,
        }),
      );
    }
    expect(rivals.filter(Boolean)).toEqual([]);
    const queue = store.queue;
    const both = () =>
      Promise.all([first, second].map(o => queue.getOperation(o.id)));
    for (let i = 0; i < 60; i++) {
      if ((await both()).every(o => o?.status === 'succeeded')) break;
      await sleep(100);
    }
    const [a, b] = await both();
    expect(a).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(b).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(started).toEqual(['w1', 'w2']);
    expect(most).toBe(1);
  });

  it('hands running operations back at shutdown, and waits out an unreachable cluster, spending no attempt', async () => {
    const op = await createOn('local', 'w3');
    let calls = 0;
    const reconciler = {
      execute: async (_op: OperationRecord, run: { signal: AbortSignal }) => {
        calls++;
        if (calls === 1) {
          // The cluster is away.
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
            code: 'ECONNREFUSED',
          });
        }
        // A long wait for pods, cut short by the shutdown.
        await new Promise((_, reject) =>
          run.signal.addEventListener('abort', () => reject(run.signal.reason)),
        );
      },
    } as unknown as Reconciler;
    worker = new OperationWorker(
      store.queue,
      reconciler,
      mockServices.logger.mock(),
      {
        concurrencyPerCluster: 1,
        clusters: ['local'],
        pollIntervalMs: 50,
        leaseMs: 60_000,
        maxAttempts: 1,
      },
    );
    worker.start();
    const after = await (async () => {
      for (let i = 0; i < 200; i++) {
        const o = await store.queue.getOperation(op.id);
        if (o?.error?.startsWith('waiting for cluster local')) return o;
        await sleep(50);
      }
      return store.queue.getOperation(op.id);
    })();
    // maxAttempts is 1, yet the operation waits: an unreachable cluster costs no attempt.
    expect(after).toMatchObject({ status: 'pending', attempts: 0 });
    // Let it run again now (the retry waits 5 s), then stop the backend under it.
    await (store as any)
      .db('environment_operations')
      .where({ id: op.id })
      .update({ not_before: null });
    for (let i = 0; i < 200 && calls < 2; i++) await sleep(50);
    expect(calls).toBe(2);
    const t = Date.now();
    await worker.stop();
    worker = undefined;
    expect(Date.now() - t).toBeLessThan(5000);
    expect(await store.queue.getOperation(op.id)).toMatchObject({
      status: 'pending',
      error: 'handed back by a backend that shut down',
    });
  });
});
