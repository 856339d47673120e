/*
 * What every backend benchmark row runs against: the environments plugin and Backstage's own
 * kubernetes-backend, side by side in one real backend (bench/backend/server.ts, a process of
 * its own), on the benchmark cluster (scripts/cluster/cluster.sh --name bench), both reaching
 * the API server through one counting proxy in this process. The database is a SQLite file,
 * the embedded default, with every query counted.
 */
import { execFile, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Entity } from '@backstage/catalog-model';
import { testClusterAppConfig } from '../../plugins/environments-backend/src/__testUtils__/harness';
import { countingProxy } from '../../plugins/environments-backend/src/__testUtils__/countingProxy';
import type { ServerOptions, ServerStats } from './server';

export const root = path.resolve(__dirname, '../..');
export const outDir = path.join(root, '.local/bench');

/** The catalog entities Backstage's kubernetes plugin reads for, one per benchmark environment. */
export const kubernetesEntity = (environment: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: `k8s-${environment}`,
    namespace: 'default',
    annotations: {
      // The route finds the environment's objects by this selector (see docs/performance.md).
      'backstage.io/kubernetes-label-selector': `archipelago.dev/environment=${environment}`,
    },
  },
  spec: {
    type: 'service',
    lifecycle: 'experimental',
    owner: 'group:default/backend',
  },
});

/** An answer of the environments API: its status and parsed body. */
export interface Answer {
  status: number;
  body: any;
}

export interface Bench {
  /** The environments API (…/api/environments), as the guest user. */
  api: {
    get(path: string): Promise<Answer>;
    post(path: string, body: unknown): Promise<Answer>;
    delete(path: string): Promise<Answer>;
  };
  baseUrl: string;
  auth: string;
  /** The backend process's database queries so far and its memory (after a full GC if gc). */
  stats(gc?: boolean): Promise<ServerStats>;
  /**
   * Starts (`start`) or stops (`stop`, writing `<name>.cpuprofile` to .local/bench/profiles)
   * a CPU profile of the backend process, for one part of a row.
   */
  profile(action: 'start' | 'stop', name?: string): Promise<void>;
  proxy: Awaited<ReturnType<typeof countingProxy>>;
  kubectl(args: string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startBench(options: {
  kubernetesEntities: string[];
}): Promise<Bench> {
  fs.mkdirSync(outDir, { recursive: true });
  const dbFile = path.join(outDir, `bench-${Date.now().toString(36)}.sqlite`);
  const cluster =
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0];
  const proxy = await countingProxy(cluster);
  const serverOptions: ServerOptions = {
    dbFile,
    cluster: { url: proxy.url, caData: proxy.caData },
    entities: options.kubernetesEntities.map(kubernetesEntity),
  };
  const child = fork(path.join(__dirname, 'server.ts'), [], {
    execArgv: [
      // ARCHIPELAGO_BENCH_CPU_PROF=1: a CPU profile of the backend in .local/bench/profiles.
      ...(process.env.ARCHIPELAGO_BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(outDir, 'profiles')}`]
        : []),
      '--expose-gc',
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
    ],
    env: {
      ...process.env,
      ARCHIPELAGO_BENCH_SERVER: JSON.stringify(serverOptions),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 0;
  const pending = new Map<number, (m: any) => void>();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', code =>
      reject(new Error(`the benchmark backend exited (code ${code})`)),
    ),
  );
  exited.catch(() => undefined);
  const ready = new Promise<{ baseUrl: string; auth: string }>(resolve =>
    child.on('message', (m: any) => {
      if (m.type === 'ready') resolve(m);
      else pending.get(m.id)?.(m);
    }),
  );
  const { baseUrl, auth } = await Promise.race([ready, exited]);
  const ask = (type: string, extra: Record<string, unknown> = {}) =>
    Promise.race([
      new Promise<any>(resolve => {
        const id = nextId++;
        pending.set(id, m => {
          pending.delete(id);
          resolve(m);
        });
        child.send({ type, id, ...extra });
      }),
      exited,
    ]);
  const call = async (
    method: string,
    p: string,
    body?: unknown,
  ): Promise<Answer> => {
    const res = await fetch(`${baseUrl}${p}`, {
      method,
      headers: {
        Authorization: auth,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body: parsed };
  };
  const kubectlBin = process.env.ARCHIPELAGO_BENCH_KUBECTL ?? 'kubectl';
  const kubeconfig =
    process.env.ARCHIPELAGO_BENCH_KUBECONFIG ??
    path.join(root, '.local/kubeconfig-bench.yaml');
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const c = execFile(
        kubectlBin,
        ['--kubeconfig', kubeconfig, ...args],
        { maxBuffer: 512 * 1024 * 1024 },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err}`))
            : resolve(stdout),
      );
      if (input !== undefined) c.stdin!.end(input);
    });
  return {
    api: {
      get: p => call('GET', p),
      post: (p, body) => call('POST', p, body),
      delete: p => call('DELETE', p),
    },
    baseUrl,
    auth,
    stats: async (gc = false) => (await ask('stats', { gc })).stats,
    profile: async (action, name) => {
      const answer = await ask('profile', {
        action,
        file: name && path.join(outDir, 'profiles', `${name}.cpuprofile`),
      });
      if (answer?.error) throw new Error(answer.error);
    },
    proxy,
    kubectl,
    async stop() {
      await ask('stop').catch(() => undefined);
      proxy.close();
      fs.rmSync(dbFile, { force: true });
      for (const suffix of ['-wal', '-shm'])
        fs.rmSync(dbFile + suffix, { force: true });
    },
  };
}

const chunks = <T>(list: T[], size: number) =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) =>
    list.slice(i * size, i * size + size),
  );

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, i)];
}
export const median = (values: number[]) => percentile(values, 50);

/** Waits until every named environment is Ready, failing fast on Failed; returns when each was. */
export async function allReady(
  bench: Bench,
  names: string[],
  timeoutMs = 900_000,
): Promise<{ readyAt: Map<string, number>; failed: Map<string, string> }> {
  const readyAt = new Map<string, number>();
  const failed = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  while (readyAt.size + failed.size < names.length) {
    if (Date.now() > deadline)
      throw new Error(
        `Timed out: ${
          names.length - readyAt.size - failed.size
        } environment(s) never Ready`,
      );
    const { body } = await bench.api.get('/environments');
    for (const e of body.items ?? []) {
      if (!names.includes(e.name) || readyAt.has(e.name) || failed.has(e.name))
        continue;
      if (e.status?.phase === 'Ready') readyAt.set(e.name, Date.now());
      else if (e.status?.phase === 'Failed')
        failed.set(
          e.name,
          `${e.lastOperation?.error ?? e.status.reasons?.join('; ')}`,
        );
    }
    // Reading the list is work for the backend too: the more environments, the less often.
    await sleep(names.length > 200 ? 2000 : names.length > 20 ? 100 : 20);
  }
  return { readyAt, failed };
}

/** Destroys environments at once and waits until the store says each is destroyed. */
export async function destroyEnvironments(
  bench: Bench,
  names: string[],
  timeoutMs = 900_000,
): Promise<number> {
  const t0 = Date.now();
  // All at once, in waves of 100 requests so that the HTTP server's backlog holds them.
  const res = [];
  for (const chunk of chunks(names, 100))
    res.push(
      ...(await Promise.all(
        chunk.map(n => bench.api.delete(`/environments/${n}`)),
      )),
    );
  const bad = res.filter(r => r.status !== 202);
  if (bad.length)
    throw new Error(`destroy refused: ${JSON.stringify(bad[0].body)}`);
  const left = new Set(names);
  const deadline = Date.now() + timeoutMs;
  while (left.size) {
    if (Date.now() > deadline)
      throw new Error(`Timed out destroying ${[...left].join(', ')}`);
    for (const chunk of chunks([...left], 100))
      await Promise.all(
        chunk.map(async n => {
          const { body } = await bench.api.get(`/environments/${n}`);
          if (body.destroyedAt) left.delete(n);
          else if (body.lastOperation?.status === 'failed')
            throw new Error(
              `destroy of ${n} failed: ${body.lastOperation.error}`,
            );
        }),
      );
    if (left.size) await sleep(names.length > 20 ? 200 : 20);
  }
  return Date.now() - t0;
}

/** The objects labelled for an environment, as the cluster holds them, ready to apply elsewhere. */
export async function exportManifests(
  bench: Bench,
  environment: string,
): Promise<any[]> {
  const kinds =
    'serviceaccounts,configmaps,secrets,services,deployments,statefulsets,networkpolicies,resourcequotas,limitranges,poddisruptionbudgets,rolebindings,roles';
  const out = JSON.parse(
    await bench.kubectl([
      'get',
      kinds,
      '-n',
      `env-${environment}`,
      '-l',
      `archipelago.dev/environment=${environment}`,
      '-o',
      'json',
    ]),
  );
  // The copies must not carry the environment's label: Archipelago's destroy checks that
  // nothing labelled for the environment remains anywhere in the cluster.
  const relabel = (v: unknown) =>
    JSON.parse(
      JSON.stringify(v).replaceAll(
        `"archipelago.dev/environment":"${environment}"`,
        `"archipelago.dev/environment":"anchor-${environment}"`,
      ),
    );
  return relabel(out.items).map((o: any) => {
    const { metadata } = o;
    const spec = { ...o.spec };
    if (o.kind === 'Service') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      metadata: {
        name: metadata.name,
        labels: metadata.labels,
        annotations: metadata.annotations,
      },
      ...(spec && Object.keys(spec).length ? { spec } : {}),
      ...(o.data ? { data: o.data } : {}),
      ...(o.type ? { type: o.type } : {}),
    };
  });
}

/**
 * Applies manifests into fresh namespaces with kubectl, server-side, all in one apply, and
 * waits until every namespace's Deployments are Available and StatefulSets ready.
 */
export async function kubectlApplyAndWait(
  bench: Bench,
  namespaces: string | string[],
  manifests: any[],
): Promise<number> {
  const nss = typeof namespaces === 'string' ? [namespaces] : namespaces;
  const items = nss.flatMap(namespace => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    ...manifests.map(m => ({ ...m, metadata: { ...m.metadata, namespace } })),
  ]);
  const t0 = Date.now();
  await bench.kubectl(
    ['apply', '--server-side', '--field-manager', 'bench', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  );
  const wait = (namespace: string, kind: string, condition: string) =>
    bench.kubectl([
      'wait',
      condition,
      kind,
      '--all',
      '-n',
      namespace,
      '--timeout=900s',
    ]);
  await Promise.all(
    nss.flatMap(namespace => [
      ...(manifests.some(m => m.kind === 'Deployment')
        ? [wait(namespace, 'deployment', '--for=condition=Available')]
        : []),
      ...(manifests.some(m => m.kind === 'StatefulSet')
        ? [
            wait(
              namespace,
              'statefulset',
              '--for=jsonpath={.status.readyReplicas}=1',
            ),
          ]
        : []),
    ]),
  );
  return Date.now() - t0;
}

/** Creates `count` small environments at once and waits until they are Ready; their names. */
export async function createSmallEnvironments(
  bench: Bench,
  prefix: string,
  count: number,
): Promise<string[]> {
  const run = Date.now().toString(36).slice(-4);
  const names = Array.from(
    { length: count },
    (_, i) => `${prefix}-${run}-${i}`,
  );
  for (const chunk of chunks(names, 100)) {
    const res = await Promise.all(
      chunk.map(n => bench.api.post('/environments', smallEnvironment(n))),
    );
    const bad = res.find(r => r.status !== 202);
    if (bad) throw new Error(`create refused: ${JSON.stringify(bad.body)}`);
  }
  const { failed } = await allReady(bench, names);
  if (failed.size)
    throw new Error(`${failed.size} failed: ${[...failed.values()][0]}`);
  return names;
}

/** A small environment: three http services. */
export const smallEnvironment = (
  name: string,
  service: Record<string, unknown> = {},
) => ({
  name,
  owner: 'group:default/backend',
  purpose: 'sandbox',
  services: ['global', 'global-b', 'global-c'].map(s => ({
    name: s,
    component: 'component:default/global',
    ...service,
  })),
});
