/*
 * P6: destroying one environment, and many at once, until nothing of them remains, against
 * `kubectl delete namespace --wait` of namespaces holding the same objects (applied with
 * kubectl from what the cluster holds for one of ours), one and all at once.
 */
import {
  Bench,
  allReady,
  destroyEnvironments,
  exportManifests,
  kubectlApplyAndWait,
  median,
  smallEnvironment,
} from '../context';
import type { RowResult } from './types';

async function kubectlDelete(bench: Bench, names: string[]) {
  const t0 = Date.now();
  await bench.kubectl([
    'delete',
    'namespace',
    ...names,
    '--wait=true',
    '--timeout=900s',
  ]);
  return Date.now() - t0;
}

async function remaining(bench: Bench, names: string[]) {
  const selector = `archipelago.dev/environment in (${names.join(',')})`;
  const out = await bench.kubectl([
    'get',
    'namespaces,pods,services,deployments,configmaps',
    '-A',
    '-l',
    selector,
    '-o',
    'name',
  ]);
  return out.split('\n').filter(Boolean).length;
}

export async function p6(
  bench: Bench,
  rounds: number,
  many: string[],
): Promise<RowResult> {
  const run = Date.now().toString(36).slice(-4);
  const ours1: number[] = [];
  const theirs1: number[] = [];
  let manifests: any[] | undefined;
  for (let r = 0; r < rounds; r++) {
    const name = `p6-${run}-${r}`;
    const res = await bench.api.post('/environments', smallEnvironment(name));
    if (res.status !== 202) throw new Error(JSON.stringify(res.body));
    await allReady(bench, [name]);
    manifests ??= await exportManifests(bench, name);
    const ns = `bench-del-${run}-${r}`;
    await kubectlApplyAndWait(bench, ns, manifests);
    ours1.push(await destroyEnvironments(bench, [name]));
    theirs1.push(await kubectlDelete(bench, [ns]));
  }
  // Many at once: environments made before (P3's), and as many kubectl namespaces.
  const nss = many.map((_, i) => `bench-del-${run}-m${i}`);
  await kubectlApplyAndWait(bench, nss, manifests!);
  const oursMany = await destroyEnvironments(bench, many);
  const theirsMany = await kubectlDelete(bench, nss);
  const left = await remaining(bench, [
    ...many,
    ...Array.from({ length: rounds }, (_, r) => `p6-${run}-${r}`),
  ]);
  const r1 = median(ours1) / median(theirs1);
  const rMany = oursMany / theirsMany;
  return {
    id: 'P6',
    what: `destroy one, and ${many.length} at once`,
    figures: [
      `one: ${median(ours1)} ms, kubectl ${median(theirs1)} ms (${r1.toFixed(
        2,
      )}×; rounds ${ours1.join('/')} vs ${theirs1.join('/')})`,
      `${
        many.length
      } at once: ${oursMany} ms, kubectl ${theirsMany} ms (${rMany.toFixed(
        2,
      )}×, one round)`,
      `${left} objects remaining`,
    ],
    anchor:
      'kubectl delete namespace --wait of the same objects, one and all at once',
    target: '≤ 1.2× the anchor at both sizes; 0 objects remaining',
    met: r1 <= 1.2 && rMany <= 1.2 && left === 0,
  };
}
