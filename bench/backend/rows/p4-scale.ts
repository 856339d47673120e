/*
 * P4: many environments of 10 services (1,000 by default): the backend's RSS and heap, the
 * list's latency, and memory per cached object. P7 runs on the same environments: the
 * catalog provider's refresh, with the database queries it causes counted.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { EnvironmentsClient } from '@archipelago/plugin-environments-common';
import { EnvironmentEntityProvider } from '../../../plugins/catalog-backend-module-environments/src/EnvironmentEntityProvider';
import { Bench, allReady, percentile, sleep } from '../context';
import type { RowResult } from './types';

const MiB = 1024 * 1024;

export async function p4(
  bench: Bench,
  count: number,
  cachedObjects: () => Promise<number>,
): Promise<{ rows: RowResult[]; created: string[] }> {
  const run = Date.now().toString(36).slice(-4);
  const names = Array.from({ length: count }, (_, i) => `p4-${run}-${i}`);
  const before = (await bench.stats(true)).memory;
  const objectsBefore = await cachedObjects();
  const t0 = Date.now();
  // In waves of 100, so that the queue, not the HTTP server, is what holds them.
  for (let i = 0; i < names.length; i += 100) {
    const wave = names.slice(i, i + 100);
    const res = await Promise.all(
      wave.map(n =>
        bench.api.post('/environments', {
          name: n,
          owner: 'group:default/backend',
          purpose: 'sandbox',
          services: Array.from({ length: 10 }, (_, s) => ({
            name: `global-${s}`,
            component: 'component:default/global',
          })),
        }),
      ),
    );
    const bad = res.find(r => r.status !== 202);
    if (bad) throw new Error(`create refused: ${JSON.stringify(bad.body)}`);
    process.stderr.write(`[bench] P4: ${i + wave.length}/${count} requested\n`);
  }
  const { failed } = await allReady(bench, names, 3_600_000);
  const readyMs = Date.now() - t0;
  await sleep(5000);
  const after = (await bench.stats(true)).memory;
  const objects = (await cachedObjects()) - objectsBefore;
  const listMs: number[] = [];
  let listed = 0;
  for (let i = 0; i < 30; i++) {
    const s = performance.now();
    const { body } = await bench.api.get('/environments');
    listMs.push(performance.now() - s);
    listed = body.items.length;
  }
  // ARCHIPELAGO_BENCH_PROFILE_LIST=1: ten more reads of the list under a CPU profile
  // (.local/bench/profiles/p4-list.cpuprofile), after the timed ones.
  if (process.env.ARCHIPELAGO_BENCH_PROFILE_LIST) {
    await bench.profile('start');
    for (let i = 0; i < 10; i++) await bench.api.get('/environments');
    await bench.profile('stop', 'p4-list');
  }
  const rss = after.rss / MiB;
  const perObject = (after.heapUsed - before.heapUsed) / Math.max(1, objects);
  const p95 = percentile(listMs, 95);
  const scale: RowResult = {
    id: 'P4',
    what: `${count} environments × 10 services`,
    figures: [
      `all Ready after ${(readyMs / 1000).toFixed(1)} s; ${failed.size} failed`,
      `backend RSS ${rss.toFixed(0)} MiB (was ${(before.rss / MiB).toFixed(
        0,
      )}), heap ${(after.heapUsed / MiB).toFixed(0)} MiB (was ${(
        before.heapUsed / MiB
      ).toFixed(0)})`,
      `outside the heap: ${((after.rss - after.heapTotal) / MiB).toFixed(
        0,
      )} MiB (heap reserved ${(after.heapTotal / MiB).toFixed(
        0,
      )} MiB, external ${(after.external / MiB).toFixed(
        0,
      )} MiB, of it array buffers ${(after.arrayBuffers / MiB).toFixed(
        0,
      )} MiB)`,
      `${objects} more cached objects; ${(perObject / 1024).toFixed(
        1,
      )} KiB of heap each`,
      `list of ${listed}: p50 ${percentile(listMs, 50).toFixed(
        0,
      )} ms, p95 ${p95.toFixed(0)} ms`,
    ],
    target:
      'all Ready, 0 failed; RSS < 1 GiB; list p95 < 200 ms; memory per cached object printed',
    met: failed.size === 0 && rss < 1024 && p95 < 200,
    notes: [
      "RSS and heap are the backend process's (bench/backend/server.ts: the environments plugin and kubernetes-backend), after a full garbage collection; the benchmark driver runs in a process of its own.",
    ],
  };

  // P7: the catalog provider, as the catalog runs it.
  const client = new EnvironmentsClient({
    discoveryApi: { getBaseUrl: async () => bench.baseUrl },
    fetchApi: { fetch },
  });
  const provider = new EnvironmentEntityProvider({
    client,
    auth: {
      getOwnServiceCredentials: async () => mockCredentials.service(),
      getPluginRequestToken: async () => ({
        token: mockCredentials.service.token({
          onBehalfOf: mockCredentials.service(),
          targetPluginId: 'environments',
        }),
      }),
    } as any,
    logger: {
      debug() {},
      info() {},
      warn() {},
      error() {},
      child() {
        return this;
      },
    } as any,
    appBaseUrl: 'http://localhost:3000',
  });
  let emitted = 0;
  await provider.connect({
    applyMutation: async (m: any) => {
      emitted = m.entities.length;
    },
    refresh: async () => {},
  });
  const queries: number[] = [];
  const refreshMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const q0 = (await bench.stats()).queries;
    const s = performance.now();
    await provider.refresh();
    refreshMs.push(performance.now() - s);
    queries.push((await bench.stats()).queries - q0);
  }
  const q = Math.max(...queries);
  const catalog: RowResult = {
    id: 'P7',
    what: `catalog provider with ${count} environments`,
    figures: [
      `${emitted} entities per refresh; ${queries.join(
        '/',
      )} database queries per refresh; refresh p50 ${percentile(
        refreshMs,
        50,
      ).toFixed(0)} ms`,
    ],
    target:
      'every environment an entity; queries per refresh printed; not one per environment (at most 10, whatever the count)',
    met: emitted >= count && q <= 10 && q < count,
    notes: [
      'Counted over the whole backend while the refresh ran, so background work (the queue, the observer) counts against it.',
    ],
  };
  return { rows: [scale, catalog], created: names };
}
