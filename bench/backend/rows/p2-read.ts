/*
 * P2: reading one environment of 200 pods (its status, topology and pods, in the one request
 * its page sends),
 * against Backstage kubernetes-backend's POST /api/kubernetes/services/:entity for a catalog
 * entity whose label selector finds the same objects. Requests alternate; the proxy counts
 * what each side asked of the API server meanwhile.
 */
import { Bench, allReady, percentile } from '../context';
import type { RowResult } from './types';

export const P2_ENVIRONMENT = `p2-${Date.now().toString(36).slice(-4)}`;

export async function p2(bench: Bench, samples: number): Promise<RowResult> {
  const name = P2_ENVIRONMENT;
  const res = await bench.api.post('/environments', {
    name,
    owner: 'group:default/backend',
    purpose: 'perf',
    services: Array.from({ length: 10 }, (_, i) => ({
      name: `global-${i}`,
      component: 'component:default/global',
      replicas: 20,
    })),
  });
  if (res.status !== 202) throw new Error(JSON.stringify(res.body));
  const { failed } = await allReady(bench, [name]);
  if (failed.size) throw new Error([...failed.values()].join('; '));
  const pods = (await bench.api.get(`/environments/${name}/pods`)).body.items
    .length;
  const entity = `k8s-${name}`;
  // Both sides are read as a browser would: over kept-alive connections (fetch's default).
  const origin = bench.baseUrl.replace(/\/api\/environments$/, '');
  const get = async (path: string) => {
    const res = await fetch(`${origin}${path}`, {
      headers: { Authorization: bench.auth },
    });
    return { status: res.status, body: await res.json() };
  };
  const anchor = async () => {
    const res = await fetch(`${origin}/api/kubernetes/services/${entity}`, {
      method: 'POST',
      headers: {
        Authorization: bench.auth,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Component',
          metadata: { name: entity, namespace: 'default' },
        },
      }),
    });
    return { status: res.status, body: await res.json() };
  };
  // One of each first: the anchor must find the pods, or the comparison means nothing.
  const first = await anchor();
  const found = (first.body.items ?? []).flatMap((c: any) =>
    (c.resources ?? [])
      .filter((r: any) => r.type === 'pods')
      .flatMap((r: any) => r.resources),
  ).length;
  if (first.status !== 200 || found !== pods)
    throw new Error(
      `kubernetes-backend answered ${
        first.status
      } with ${found} of ${pods} pods: ${JSON.stringify(first.body).slice(
        0,
        400,
      )}`,
    );
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  let oursRequests = 0;
  let theirsRequests = 0;
  const counted = (from: number) =>
    bench.proxy.seen.slice(from).filter(s => !s.watch).length;
  // The first rounds warm both up (JIT, connections) and are not counted.
  const warm = Math.min(10, samples);
  for (let i = 0; i < samples + warm; i++) {
    if (i === warm) {
      oursMs.length = 0;
      theirsMs.length = 0;
      oursRequests = 0;
      theirsRequests = 0;
    }
    let from = bench.proxy.seen.length;
    let t0 = performance.now();
    // As the page reads it: its client sends the environment's, topology's and pods' reads
    // made at once as one request (plugins/environments/src/client).
    const page = await get(
      `/api/environments/environments/${name}?include=topology&include=pods`,
    );
    oursMs.push(performance.now() - t0);
    oursRequests += counted(from);
    if (
      page.status !== 200 ||
      page.body.status?.phase !== 'Ready' ||
      !page.body.included?.topology?.nodes?.length ||
      page.body.included?.pods?.items?.length !== pods
    )
      throw new Error('the environment read failed');
    from = bench.proxy.seen.length;
    t0 = performance.now();
    const r = await anchor();
    theirsMs.push(performance.now() - t0);
    theirsRequests += counted(from);
    if (r.status !== 200) throw new Error(`anchor: ${r.status}`);
  }
  const p = (v: number[], q: number) => percentile(v, q);
  const ratio50 = p(theirsMs, 50) / p(oursMs, 50);
  const ratio95 = p(theirsMs, 95) / p(oursMs, 95);
  return {
    id: 'P2',
    what: `reading one environment (status, topology, pods) with ${pods} pods`,
    figures: [
      `ours p50 ${p(oursMs, 50).toFixed(1)} ms, p95 ${p(oursMs, 95).toFixed(
        1,
      )} ms, ${oursRequests} API-server requests in ${samples} reads`,
      `kubernetes-backend p50 ${p(theirsMs, 50).toFixed(1)} ms, p95 ${p(
        theirsMs,
        95,
      ).toFixed(1)} ms, ${(theirsRequests / samples).toFixed(
        1,
      )} API-server requests per read`,
      `ours is ${ratio50.toFixed(1)}× faster at p50, ${ratio95.toFixed(
        1,
      )}× at p95`,
    ],
    anchor: "kubernetes-backend's POST /api/kubernetes/services/:entity",
    target: 'p95 < 15 ms; 0 API-server requests; ≥ 10× faster at p50 and p95',
    met:
      p(oursMs, 95) < 15 &&
      oursRequests === 0 &&
      ratio50 >= 10 &&
      ratio95 >= 10,
  };
}
