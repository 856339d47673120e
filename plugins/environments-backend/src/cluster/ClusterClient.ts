import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  Log,
  NetworkingV1Api,
  PatchStrategy,
} from '@kubernetes/client-node';
import type { Writable } from 'node:stream';
import {
  ENVIRONMENT_LABEL,
  MANAGED_SELECTOR,
  parseCpu,
  parseMemory,
} from '@archipelago/plugin-environments-common';
import type { ClusterSettings } from '../config';
import { Manifest, manifestKey } from '../render/render';

export const FIELD_MANAGER = 'archipelago';

/** Builds a KubeConfig from a cluster entry in the shape of Backstage's kubernetes config. */
export function kubeConfigFor(cluster: ClusterSettings): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData,
        skipTLSVerify: cluster.skipTLSVerify ?? false,
      },
    ],
    users: [{ name: 'archipelago', token: cluster.serviceAccountToken }],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: 'archipelago' },
    ],
    currentContext: cluster.name,
  });
  return kc;
}

/** Kinds the renderer produces inside a namespace, in the order they are pruned. */
const PRUNABLE: Array<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'batch/v1', kind: 'CronJob' },
  { apiVersion: 'batch/v1', kind: 'Job' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
];

export interface Capacity {
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
  requested: { cpuMillis: number; memoryBytes: number; pods: number };
}

/** Everything the reconciler does to one cluster. Reads for views come from the WatchCache. */
export class ClusterClient {
  readonly kc: KubeConfig;
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;

  constructor(readonly settings: ClusterSettings) {
    this.kc = kubeConfigFor(settings);
    this.objects = KubernetesObjectApi.makeApiClient(this.kc);
    this.core = this.kc.makeApiClient(CoreV1Api);
  }

  /** Server-side applies each manifest with our field manager, forcing ownership. */
  async apply(
    manifests: Manifest[],
    options: { dryRun?: boolean } = {},
  ): Promise<KubernetesObject[]> {
    const out: KubernetesObject[] = [];
    for (const m of manifests) {
      out.push(
        await this.objects.patch(
          m as KubernetesObject,
          undefined,
          options.dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      );
    }
    return out;
  }

  /**
   * Deletes objects of the environment that are not in the desired set. PVCs that belong to a
   * StatefulSet's claim templates are never pruned here: they hold data until destroy.
   */
  async prune(
    namespace: string,
    environment: string,
    desired: Manifest[],
  ): Promise<string[]> {
    const keep = new Set(desired.map(manifestKey));
    const pruned: string[] = [];
    for (const { apiVersion, kind } of PRUNABLE) {
      const list = await this.objects.list(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        `${MANAGED_SELECTOR},${ENVIRONMENT_LABEL}=${environment}`,
      );
      for (const item of list.items) {
        const obj = { ...item, apiVersion, kind };
        if (keep.has(manifestKey(obj))) continue;
        if (
          kind === 'PersistentVolumeClaim' &&
          item.metadata?.name?.startsWith('vol-')
        )
          continue;
        await this.objects
          .delete(obj, undefined, undefined, undefined, undefined, 'Background')
          .catch(e => {
            if (statusCode(e) !== 404) throw e;
          });
        pruned.push(`${kind}/${item.metadata?.name}`);
      }
    }
    return pruned;
  }

  async namespaceExists(
    namespace: string,
  ): Promise<{ exists: boolean; terminating: boolean; finalizers: string[] }> {
    try {
      const ns = await this.core.readNamespace({ name: namespace });
      return {
        exists: true,
        terminating: !!ns.metadata?.deletionTimestamp,
        finalizers: [
          ...(ns.spec?.finalizers ?? []),
          ...(ns.metadata?.finalizers ?? []),
        ],
      };
    } catch (e) {
      if (statusCode(e) === 404)
        return { exists: false, terminating: false, finalizers: [] };
      throw e;
    }
  }

  async deleteNamespace(namespace: string): Promise<void> {
    await this.core
      .deleteNamespace({ name: namespace, propagationPolicy: 'Foreground' })
      .catch(e => {
        if (statusCode(e) !== 404) throw e;
      });
  }

  /** Objects labelled for the environment that still exist anywhere in the cluster. */
  async remainingObjects(environment: string): Promise<string[]> {
    const selector = `${ENVIRONMENT_LABEL}=${environment}`;
    const left: string[] = [];
    const nss = await this.core.listNamespace({ labelSelector: selector });
    left.push(
      ...nss.items.map(
        n =>
          `Namespace/${n.metadata?.name}${
            n.metadata?.deletionTimestamp ? ' (terminating)' : ''
          }`,
      ),
    );
    const pods = await this.core.listPodForAllNamespaces({
      labelSelector: selector,
    });
    left.push(
      ...pods.items.map(
        p => `Pod/${p.metadata?.namespace}/${p.metadata?.name}`,
      ),
    );
    const pvcs = await this.core.listPersistentVolumeClaimForAllNamespaces({
      labelSelector: selector,
    });
    left.push(
      ...pvcs.items.map(
        p =>
          `PersistentVolumeClaim/${p.metadata?.namespace}/${p.metadata?.name}`,
      ),
    );
    return left;
  }

  /** What the schedulable nodes offer and what running pods already request (one live read). */
  async capacity(): Promise<Capacity> {
    const [nodes, pods] = await Promise.all([
      this.core.listNode(),
      this.core.listPodForAllNamespaces({
        fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      }),
    ]);
    const allocatable = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
    for (const n of nodes.items) {
      if (n.spec?.unschedulable) continue;
      const ready = n.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      );
      if (!ready) continue;
      allocatable.cpuMillis +=
        parseCpu(String(n.status?.allocatable?.cpu ?? '0')) ?? 0;
      allocatable.memoryBytes +=
        parseMemory(String(n.status?.allocatable?.memory ?? '0')) ?? 0;
      allocatable.pods += parseInt(
        String(n.status?.allocatable?.pods ?? '0'),
        10,
      );
    }
    const requested = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
    for (const p of pods.items) {
      requested.pods++;
      for (const c of p.spec?.containers ?? []) {
        requested.cpuMillis +=
          parseCpu(String(c.resources?.requests?.cpu ?? '0')) ?? 0;
        requested.memoryBytes +=
          parseMemory(String(c.resources?.requests?.memory ?? '0')) ?? 0;
      }
    }
    return { allocatable, requested };
  }

  /** Streams a pod's log into `out` through the API server. */
  async streamLogs(
    namespace: string,
    pod: string,
    container: string,
    out: Writable,
    options: {
      follow?: boolean;
      sinceSeconds?: number;
      sinceTime?: string;
      tailLines?: number;
      previous?: boolean;
    },
  ): Promise<AbortController> {
    return new Log(this.kc).log(namespace, pod, container, out, {
      follow: options.follow,
      sinceSeconds: options.sinceSeconds,
      tailLines: options.tailLines,
      previous: options.previous,
      timestamps: true,
    });
  }

  apps() {
    return this.kc.makeApiClient(AppsV1Api);
  }
  batch() {
    return this.kc.makeApiClient(BatchV1Api);
  }
  networking() {
    return this.kc.makeApiClient(NetworkingV1Api);
  }
  coreApi() {
    return this.core;
  }
}

export function statusCode(e: unknown): number | undefined {
  const err = e as {
    code?: number;
    statusCode?: number;
    response?: { statusCode?: number };
  };
  return err?.code ?? err?.statusCode ?? err?.response?.statusCode;
}

/** Errors worth retrying: the API server is unreachable, overloaded or briefly conflicting. */
export function isTransient(e: unknown): boolean {
  const code = statusCode(e);
  if (typeof code === 'number')
    return code === 429 || code === 409 || code >= 500;
  const msg = String((e as Error)?.message ?? e);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|network/i.test(
    msg,
  );
}
