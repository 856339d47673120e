/*
 * The backend under benchmark, in a process of its own: the environments plugin and Backstage's
 * kubernetes-backend side by side in one real backend (startTestBackend), on a SQLite file with
 * every query counted. bench/backend/context.ts forks it, so that what the benchmark driver
 * holds and allocates (the counting proxy, polling, results) is not counted as the backend's
 * memory, and its garbage collections do not pause the backend's answers.
 *
 * Over IPC it answers { type: 'stats', gc } with the database queries so far and the process's
 * memory (after a full garbage collection when gc is set), and { type: 'stop' } by stopping.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import knexFactory from 'knex';
import type { Entity } from '@backstage/catalog-model';
import { startEnvironmentsBackend } from '../../plugins/environments-backend/src/__testUtils__/harness';

export interface ServerOptions {
  dbFile: string;
  cluster: { url: string; caData?: string };
  entities: Entity[];
}

export interface ServerStats {
  queries: number;
  memory: NodeJS.MemoryUsage;
}

const inspector = new Session();
const post = (method: string, params?: object) =>
  new Promise<any>((resolve, reject) =>
    inspector.post(method, params, (err, result) =>
      err ? reject(err) : resolve(result),
    ),
  );

async function profile(m: { action: 'start' | 'stop'; file?: string }) {
  if (m.action === 'start') {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    return;
  }
  const { profile: result } = await post('Profiler.stop');
  inspector.disconnect();
  fs.mkdirSync(path.dirname(m.file!), { recursive: true });
  fs.writeFileSync(m.file!, JSON.stringify(result));
}

async function main() {
  const options: ServerOptions = JSON.parse(
    process.env.ARCHIPELAGO_BENCH_SERVER ?? '{}',
  );
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: options.dbFile },
    useNullAsDefault: true,
  });
  let queries = 0;
  knex.on('query', () => {
    queries++;
  });
  const ctx = await startEnvironmentsBackend({
    knex,
    cluster: options.cluster,
    config: {
      readinessTimeout: '15m',
      queue: { pollInterval: '200ms', concurrencyPerCluster: 4 },
      limits: {
        environmentsPerOwner: 5000,
        queuedOperationsPerOwner: 5000,
      },
    },
    features: [import('@backstage/plugin-kubernetes-backend')],
    entities: options.entities,
    // The benchmark reads no signals: keeping them would grow the heap it measures.
    recordSignals: false,
  });
  process.on(
    'message',
    async (m: { type: string; id: number; gc?: boolean }) => {
      if (m.type === 'stats') {
        if (m.gc) global.gc?.();
        const stats: ServerStats = { queries, memory: process.memoryUsage() };
        process.send!({ type: 'stats', id: m.id, stats });
      } else if (m.type === 'profile') {
        // A CPU profile of one part of a row (node:inspector), not of the whole run.
        const answer = await profile(m as any).then(
          () => ({}),
          e => ({ error: String(e) }),
        );
        process.send!({ type: 'profile', id: m.id, ...answer });
      } else if (m.type === 'stop') {
        await ctx.backend.stop().catch(() => undefined);
        await knex.destroy().catch(() => undefined);
        process.send!({ type: 'stopped', id: m.id }, () => process.exit(0));
      }
    },
  );
  process.send!({ type: 'ready', baseUrl: ctx.baseUrl, auth: ctx.auth });
}

main().catch(e => {
  process.stderr.write(`${String(e?.stack ?? e)}\n`);
  process.exit(1);
});
