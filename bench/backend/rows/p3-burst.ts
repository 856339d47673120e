/*
 * P3: 100 environments of 3 services requested at once; then the same with 2 environments
 * that can never be scheduled (a node selector no node matches) queued first. Prints the time
 * to accept all, to the first, median and last Ready, failures, and the most API requests in
 * flight at once (the proxy's count, watches aside) against the cluster's cap.
 */
import { Bench, allReady, median, smallEnvironment } from '../context';
import type { RowResult } from './types';

const spec = (name: string, impossible = false) =>
  smallEnvironment(
    name,
    impossible ? { nodeSelector: { 'archipelago.dev/bench': 'nowhere' } } : {},
  );

export interface BurstResult {
  names: string[];
  figures: string[];
  failures: number;
  maxInFlight: number;
  lastReadyMs: number;
}

async function burst(
  bench: Bench,
  count: number,
  label: string,
  impossible: string[] = [],
): Promise<BurstResult> {
  const run = Date.now().toString(36).slice(-4);
  const names = Array.from({ length: count }, (_, i) => `p3-${run}-${i}`);
  for (const n of impossible) {
    const r = await bench.api.post('/environments', spec(n, true));
    if (r.status !== 202) throw new Error(JSON.stringify(r.body));
  }
  bench.proxy.inFlight.max = bench.proxy.inFlight.now;
  const t0 = Date.now();
  const res = await Promise.all(
    names.map(n => bench.api.post('/environments', spec(n))),
  );
  const accepted = Date.now() - t0;
  const refused = res.filter(r => r.status !== 202);
  const { readyAt, failed } = await allReady(
    bench,
    names.filter((_, i) => res[i].status === 202),
  );
  const times = [...readyAt.values()].map(t => t - t0).sort((a, b) => a - b);
  const failures = refused.length + failed.size;
  return {
    names,
    failures,
    maxInFlight: bench.proxy.inFlight.max,
    lastReadyMs: times[times.length - 1] ?? NaN,
    figures: [
      `${label}: ${count} accepted in ${accepted} ms; Ready after ${
        times[0]
      } ms (first), ${median(times)} ms (median), ${
        times[times.length - 1]
      } ms (last); ${failures} failed${
        failures
          ? ` (${[
              ...failed.values(),
              ...refused.map(r => JSON.stringify(r.body)),
            ]
              .slice(0, 2)
              .join(' | ')})`
          : ''
      }; at most ${bench.proxy.inFlight.max} API requests in flight`,
    ],
  };
}

export async function p3(
  bench: Bench,
  count: number,
  cap: number,
): Promise<{ row: RowResult; created: string[] }> {
  const plain = await burst(bench, count, 'alone');
  const run = Date.now().toString(36).slice(-4);
  const impossible = [`p3-never-${run}-a`, `p3-never-${run}-b`];
  const behind = await burst(
    bench,
    count,
    'behind 2 unschedulable',
    impossible,
  );
  // The two that can never run fail on their own; they are not the others' failures.
  const never = await Promise.all(
    impossible.map(async n => (await bench.api.get(`/environments/${n}`)).body),
  );
  const delay = behind.lastReadyMs / plain.lastReadyMs;
  return {
    created: [...plain.names, ...behind.names, ...impossible],
    row: {
      id: 'P3',
      what: `${count} environments (3 services) requested at once`,
      figures: [
        ...plain.figures,
        ...behind.figures,
        `the 2 unschedulable: ${never
          .map(
            e =>
              `${e.status?.phase} (${String(e.lastOperation?.error ?? '').slice(
                0,
                80,
              )})`,
          )
          .join('; ')}; last Ready ${delay.toFixed(2)}× the run without them`,
      ],
      target: `all Ready; 0 failures; in-flight API requests ≤ the cap (${cap}); unschedulable ones never delay the others (the last Ready within 1.5× of the run without them)`,
      met:
        plain.failures === 0 &&
        behind.failures === 0 &&
        Math.max(plain.maxInFlight, behind.maxInFlight) <= cap &&
        delay < 1.5,
    },
  };
}
