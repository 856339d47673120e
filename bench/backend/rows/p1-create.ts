/*
 * P1: from a create request until every service is Ready, with 12 and 50 http services,
 * against `kubectl apply --server-side` + `kubectl wait` of the same objects (read back from
 * the cluster after Archipelago's create) in a fresh namespace. Rounds alternate.
 */
import {
  Bench,
  allReady,
  destroyEnvironments,
  exportManifests,
  kubectlApplyAndWait,
  median,
} from '../context';
import type { RowResult } from './types';

const spec = (name: string, services: number) => ({
  name,
  owner: 'group:default/backend',
  purpose: 'perf',
  services: Array.from({ length: services }, (_, i) => ({
    name: `global-${i}`,
    component: 'component:default/global',
  })),
});

async function ours(bench: Bench, name: string, services: number) {
  const t0 = Date.now();
  const res = await bench.api.post('/environments', spec(name, services));
  if (res.status !== 202)
    throw new Error(
      `create ${name}: ${res.status} ${JSON.stringify(res.body)}`,
    );
  const { readyAt, failed } = await allReady(bench, [name]);
  if (failed.size) throw new Error(`${name} failed: ${[...failed.values()]}`);
  return readyAt.get(name)! - t0;
}

export async function p1(bench: Bench, rounds: number): Promise<RowResult> {
  const figures: string[] = [];
  const ratios: number[] = [];
  const run = Date.now().toString(36).slice(-4);
  for (const size of [12, 50]) {
    const a: number[] = [];
    const k: number[] = [];
    let manifests: any[] | undefined;
    for (let r = 0; r < rounds; r++) {
      const name = `p1-${size}-${run}-${r}`;
      a.push(await ours(bench, name, size));
      manifests ??= await exportManifests(bench, name);
      const ns = `bench-kubectl-${size}-${run}-${r}`;
      k.push(await kubectlApplyAndWait(bench, ns, manifests));
      await Promise.all([
        destroyEnvironments(bench, [name]),
        bench.kubectl(['delete', 'namespace', ns, '--wait=true']),
      ]);
    }
    const ratio = median(a) / median(k);
    ratios.push(ratio);
    figures.push(
      `${size} services: ${median(a)} ms, kubectl ${median(
        k,
      )} ms (${ratio.toFixed(2)}×; rounds ${a.join('/')} vs ${k.join('/')})`,
    );
  }
  return {
    id: 'P1',
    what: 'create → every service Ready',
    figures,
    anchor:
      'kubectl apply --server-side + kubectl wait, same objects, fresh namespace',
    target: '≤ 0.6× the anchor at 12 and 50 services',
    met: ratios.every(r => r <= 0.6),
  };
}
