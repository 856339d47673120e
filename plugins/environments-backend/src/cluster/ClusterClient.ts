import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  Log,
  NetworkingV1Api,
} from '@kubernetes/client-node';
import type { Writable } from 'node:stream';
import {
  ENVIRONMENT_ID_ANNOTATION,
  ENVIRONMENT_LABEL,
  MANAGED_SELECTOR,
} from '@archipelago/plugin-environments-common';
import {
  type ClusterSettings,
  DEFAULT_MAX_REQUESTS_IN_FLIGHT,
} from '../config';
import { ENVIRONMENT_RESOURCES, Manifest, manifestKey } from '../render/render';
import {
  KubeApiError,
  PermanentError,
  TransientError,
  statusCode,
} from '../errors';
import { KubeHttp, RequestLimiter } from './KubeHttp';
import { FIELD_MANAGER, removalPatch } from './foreignFields';
import { RESOURCES, ResourceType, resourceOf, resourcePath } from './resources';
import { NamespaceOwnership, namespaceOwnership } from './namespaceOwnership';

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

/**
 * Kinds written before the others: admission of a Pod reads the namespace's ResourceQuota and
 * LimitRange (its default requests) and its ServiceAccount, and a workload's pods mount its
 * ConfigMaps, Secrets and claims. Services come first too, so that their environment
 * variables reach the pods.
 */
const FIRST_WAVE = new Set([
  'ResourceQuota',
  'LimitRange',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'NetworkPolicy',
  'ConfigMap',
  'Secret',
  'PersistentVolumeClaim',
]);

/**
 * Conditions the namespace controller sets on a terminating namespace that will not finish by
 * itself. NamespaceContentRemaining is not one: it holds while content is being deleted.
 */
const BLOCKING_NAMESPACE_CONDITIONS = new Set([
  'NamespaceFinalizersRemaining',
  'NamespaceDeletionContentFailure',
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
]);

const WORKLOAD_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'Pod',
]);
const isWorkload = (m: Manifest) => WORKLOAD_KINDS.has(m.kind);

/** The objects to write, in waves: each wave is written at once, after the one before. */
export function applyWaves(manifests: Manifest[]): Manifest[][] {
  const first = manifests.filter(m => FIRST_WAVE.has(m.kind));
  // Workloads lead their wave: the limiter sends in order, and their pods take longest.
  const rest = manifests
    .filter(m => !FIRST_WAVE.has(m.kind))
    .sort((a, b) => Number(isWorkload(b)) - Number(isWorkload(a)));
  return [first, rest].filter(w => w.length);
}

export interface ApplyOptions {
  /**
   * Per object (manifestKey), the object as last observed: fields other writers added that
   * the manifest does not render are removed before it is applied.
   */
  observed?: Map<string, KubernetesObject>;
  /** Stops before the next write once aborted (the worker lost its lease, or a cancel). */
  signal?: AbortSignal;
  /** Keys (manifestKey) of objects that are created once and never patched. */
  createOnly?: Set<string>;
  /** The environment predates namespace ids: its namespace may be known by labels alone. */
  legacyNamespace?: boolean;
  /** Filled with the namespaces this apply created (they did not exist before it). */
  created?: Set<string>;
}

/** Everything the reconciler does to one cluster. Reads for views come from the WatchCache. */
export class ClusterClient {
  readonly kc: KubeConfig;
  readonly http: KubeHttp;
  /** Shared by this client and the cluster's watch caches (their lists). */
  readonly limiter: RequestLimiter;
  private readonly core: CoreV1Api;

  constructor(readonly settings: ClusterSettings) {
    this.kc = kubeConfigFor(settings);
    this.limiter = new RequestLimiter(
      settings.maxRequestsInFlight ?? DEFAULT_MAX_REQUESTS_IN_FLIGHT,
    );
    this.http = new KubeHttp(this.kc, this.limiter);
    this.core = this.kc.makeApiClient(CoreV1Api);
  }

  private pathOf(m: Manifest, withName = true): string {
    const r = resourceOf(m);
    if (!r)
      throw new PermanentError(`Unknown resource ${m.apiVersion} ${m.kind}`);
    return resourcePath(
      r.type,
      m.metadata.namespace,
      withName ? m.metadata.name : undefined,
    );
  }

  /** One server-side apply of a manifest, sent as the JSON we built. */
  private applyOne(m: Manifest, dryRun: boolean, signal?: AbortSignal) {
    return this.http.request<KubernetesObject>('PATCH', this.pathOf(m), {
      query: {
        fieldManager: FIELD_MANAGER,
        force: true,
        dryRun: dryRun ? 'All' : undefined,
      },
      // JSON is YAML: the apply-patch content type takes it as it is.
      contentType: 'application/apply-patch+yaml',
      body: m,
      signal,
    });
  }

  /** Creates an object that is never patched; undefined when it exists already. */
  private async createOnce(m: Manifest, dryRun: boolean, signal?: AbortSignal) {
    try {
      return await this.http.request<KubernetesObject>(
        'POST',
        this.pathOf(m, false),
        {
          query: {
            fieldManager: FIELD_MANAGER,
            dryRun: dryRun ? 'All' : undefined,
          },
          body: m,
          signal,
        },
      );
    } catch (e) {
      if (e instanceof KubeApiError && e.code === 409) return undefined;
      throw e;
    }
  }

  /**
   * Applies a set of manifests all or nothing, as far as the API allows: the Namespace first
   * (the others can only be checked inside it), then a server-side dry run of every other
   * object, and only when all of them pass, the real writes. A refusal names the object and
   * the field, and is permanent.
   */
  async apply(
    manifests: Manifest[],
    options: ApplyOptions = {},
  ): Promise<KubernetesObject[]> {
    const { signal, createOnly = new Set() } = options;
    const write = async (m: Manifest, dryRun: boolean) => {
      signal?.throwIfAborted();
      try {
        return createOnly.has(manifestKey(m))
          ? await this.createOnce(m, dryRun, signal)
          : await this.applyOne(m, dryRun, signal);
      } catch (e) {
        if (e instanceof KubeApiError && e.permanent) {
          throw new PermanentError(
            `The API server refused ${m.kind}/${m.metadata.name}${
              dryRun ? ' (dry run: nothing was changed)' : ''
            }: ${e.message}`,
          );
        }
        throw e;
      }
    };
    const out: KubernetesObject[] = [];
    const removals = new Map<string, Array<Record<string, unknown>>>();
    for (const m of manifests) {
      const seen = options.observed?.get(manifestKey(m));
      const patch =
        seen && !createOnly.has(manifestKey(m)) && removalPatch(seen, m);
      if (patch) removals.set(manifestKey(m), patch);
    }
    const namespaces = manifests.filter(m => m.kind === 'Namespace');
    const rest = manifests.filter(m => m.kind !== 'Namespace');
    for (const m of namespaces) {
      const before = await this.claimNamespace(
        m,
        signal,
        options.legacyNamespace,
      );
      if (before === 'absent') options.created?.add(m.metadata.name);
      await this.removeForeign(m, removals.get(manifestKey(m)), signal);
      const r = await write(m, false);
      if (r) out.push(r);
    }
    // Every object is checked (a dry run) before any is written, so a refusal leaves the
    // cluster as it was. An object with fields to remove first cannot be checked before that
    // removal. The checks go out together; the cluster's limiter caps them.
    const checked = await Promise.allSettled(
      rest.filter(m => !removals.has(manifestKey(m))).map(m => write(m, true)),
    );
    const refusals = checked.flatMap(c =>
      c.status === 'rejected' ? [c.reason] : [],
    );
    const other = refusals.find(e => !(e instanceof PermanentError));
    if (other) throw other;
    if (refusals.length)
      throw new PermanentError(
        refusals
          .slice(0, 5)
          .map(e => (e as Error).message)
          .concat(
            refusals.length > 5 ? [`(and ${refusals.length - 5} more)`] : [],
          )
          .join('\n'),
      );
    // Then written in waves, each together: what admission reads for later objects (the
    // quota, limit ranges, service accounts, config) before the workloads that use them.
    for (const wave of applyWaves(rest)) {
      const written = await Promise.allSettled(
        wave.map(async m => {
          await this.removeForeign(m, removals.get(manifestKey(m)), signal);
          return write(m, false);
        }),
      );
      for (const w of written) {
        if (w.status === 'rejected') throw w.reason;
        if (w.value) out.push(w.value);
      }
    }
    return out;
  }

  /** Reads a namespace and says whose it is. */
  async namespaceOwnership(
    namespace: string,
    environment: { id: string; name: string; legacyNamespace?: boolean },
    signal?: AbortSignal,
  ): Promise<NamespaceOwnership> {
    const ns = await this.http
      .request<KubernetesObject>(
        'GET',
        resourcePath(RESOURCES.namespaces, undefined, namespace),
        {
          signal,
        },
      )
      .catch(e => {
        if (e instanceof KubeApiError && e.code === 404) return undefined;
        throw e;
      });
    return namespaceOwnership(ns, environment);
  }

  /**
   * Refuses to apply a Namespace that exists and is not this environment's: Archipelago never
   * takes over a namespace someone else made (see namespaceOwnership).
   */
  private async claimNamespace(
    m: Manifest,
    signal?: AbortSignal,
    legacyNamespace?: boolean,
  ) {
    const id = m.metadata.annotations?.[ENVIRONMENT_ID_ANNOTATION];
    const name = m.metadata.labels[ENVIRONMENT_LABEL];
    if (!id || !name)
      throw new PermanentError(
        `Namespace ${m.metadata.name} was rendered without ${ENVIRONMENT_ID_ANNOTATION} and ${ENVIRONMENT_LABEL}`,
      );
    const o = await this.namespaceOwnership(
      m.metadata.name,
      { id, name, legacyNamespace },
      signal,
    );
    if (o.owned === 'theirs')
      throw new PermanentError(
        `Namespace ${m.metadata.name} already exists and ${o.reason}. Archipelago never takes over a namespace it did not make for this environment: choose another environment name, or ask the cluster's operators about that namespace.`,
      );
    if (o.owned === 'ours' && o.terminating)
      throw new TransientError(
        `Namespace ${m.metadata.name} is still terminating; it is applied once it is gone`,
      );
    return o.owned;
  }

  /** Removes fields other writers added, unless the object changed since it was observed. */
  private async removeForeign(
    m: Manifest,
    patch: Array<Record<string, unknown>> | undefined,
    signal?: AbortSignal,
  ) {
    if (!patch) return;
    signal?.throwIfAborted();
    try {
      await this.http.request('PATCH', this.pathOf(m), {
        query: { fieldManager: FIELD_MANAGER },
        contentType: 'application/json-patch+json',
        body: patch,
        signal,
      });
    } catch (e) {
      if (
        e instanceof KubeApiError &&
        (e.code === 409 ||
          /test(ing value)? .*failed|resourceVersion/i.test(e.message))
      )
        // The resourceVersion test failed: it changed meanwhile. Look again and retry.
        throw new TransientError(
          `${m.kind}/${m.metadata.name} changed while it was being repaired: ${e.message}`,
        );
      if (e instanceof KubeApiError && e.permanent)
        throw new PermanentError(
          `The API server refused taking out what others added to ${m.kind}/${m.metadata.name}: ${e.message}`,
        );
      throw e;
    }
  }

  /** Deletes these Pods of a namespace (gone already is fine); returns the names it asked. */
  async deletePods(
    namespace: string,
    names: string[],
    signal?: AbortSignal,
  ): Promise<string[]> {
    for (const name of names) {
      signal?.throwIfAborted();
      await this.http
        .request('DELETE', resourcePath(RESOURCES.pods, namespace, name), {
          body: { propagationPolicy: 'Background' },
          signal,
        })
        .catch(e => {
          if (!(e instanceof KubeApiError && e.code === 404)) throw e;
        });
    }
    return names;
  }

  /**
   * Deletes objects of the environment that are not in the desired set. Claims are never
   * pruned: they hold data, and go only with the namespace at destroy.
   */
  async prune(
    namespace: string,
    environment: string,
    desired: Manifest[],
    options: { signal?: AbortSignal } = {},
  ): Promise<string[]> {
    const keep = new Set(desired.map(manifestKey));
    const pruned: string[] = [];
    // The lists go out together (the cluster's limiter caps them); deletions keep the order
    // of ENVIRONMENT_RESOURCES, workloads first.
    options.signal?.throwIfAborted();
    const kinds = ENVIRONMENT_RESOURCES.filter(
      n => n !== 'persistentvolumeclaims',
    );
    const lists = await Promise.all(
      kinds.map(name => {
        const type = RESOURCES[name];
        return this.http
          .request<{ items: KubernetesObject[] }>(
            'GET',
            resourcePath(type, namespace),
            {
              query: {
                labelSelector: `${MANAGED_SELECTOR},${ENVIRONMENT_LABEL}=${environment}`,
              },
              signal: options.signal,
            },
          )
          .catch(e => {
            // A CRD this cluster does not serve: none of its objects can exist.
            if (
              (type as ResourceType).optional &&
              e instanceof KubeApiError &&
              e.code === 404
            )
              return { items: [] };
            throw e;
          });
      }),
    );
    for (const [i, name] of kinds.entries()) {
      const type = RESOURCES[name];
      for (const item of lists[i].items ?? []) {
        const obj = {
          ...item,
          apiVersion: type.apiVersion,
          kind: type.kind,
        } as Manifest;
        if (keep.has(manifestKey(obj))) continue;
        // An object a controller owns (a Deployment's Pod, a CronJob's Job) carries our
        // labels from its template, but is its owner's to delete, never ours.
        if (item.metadata?.ownerReferences?.some(r => r.controller)) continue;
        options.signal?.throwIfAborted();
        await this.http
          .request('DELETE', resourcePath(type, namespace, obj.metadata.name), {
            body: { propagationPolicy: 'Background' },
            signal: options.signal,
          })
          .catch(e => {
            if (!(e instanceof KubeApiError && e.code === 404)) throw e;
          });
        pruned.push(`${type.kind}/${obj.metadata.name}`);
      }
    }
    return pruned;
  }

  async namespaceExists(namespace: string): Promise<{
    exists: boolean;
    terminating: boolean;
    finalizers: string[];
    /**
     * Why its deletion cannot finish without help, as the namespace controller reports it:
     * a finalizer of someone else, objects held by finalizers, content or discovery it failed
     * to delete. Undefined while it is merely in progress.
     */
    blocked?: string;
  }> {
    try {
      const ns = await this.core.readNamespace({ name: namespace });
      const finalizers = [
        ...(ns.spec?.finalizers ?? []),
        ...(ns.metadata?.finalizers ?? []),
      ];
      const foreign = finalizers.filter(f => f !== 'kubernetes');
      const failing = (ns.status?.conditions ?? []).filter(
        c => c.status === 'True' && BLOCKING_NAMESPACE_CONDITIONS.has(c.type),
      );
      const blocked = [
        ...(foreign.length ? [`finalizers ${foreign.join(', ')}`] : []),
        ...failing.map(c => `${c.type}: ${c.message ?? c.reason ?? ''}`),
      ].join('; ');
      return {
        exists: true,
        terminating: !!ns.metadata?.deletionTimestamp,
        finalizers,
        ...(blocked && { blocked }),
      };
    } catch (e) {
      if (statusCode(e) === 404)
        return { exists: false, terminating: false, finalizers: [] };
      throw e;
    }
  }

  /**
   * Deletes the environment's namespace, only if it carries the environment's id, and only the
   * very namespace that was read (a uid precondition). Someone else's namespace is left alone.
   */
  async deleteNamespace(
    namespace: string,
    environment: { id: string; name: string; legacyNamespace?: boolean },
    signal?: AbortSignal,
  ): Promise<NamespaceOwnership> {
    const o = await this.namespaceOwnership(namespace, environment, signal);
    if (o.owned !== 'ours' || o.terminating) return o;
    await this.http
      .request(
        'DELETE',
        resourcePath(RESOURCES.namespaces, undefined, namespace),
        {
          body: {
            propagationPolicy: 'Foreground',
            preconditions: { uid: o.uid },
          },
          signal,
        },
      )
      .catch(e => {
        if (e instanceof KubeApiError && e.code === 404) return;
        if (e instanceof KubeApiError && e.code === 409)
          throw new TransientError(
            `Namespace ${namespace} was replaced while it was being deleted: ${e.message}`,
          );
        throw e;
      });
    return o;
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
