import { ResponseError } from '@backstage/errors';
import type { EnvironmentSpec } from '../spec/schema';
import type { OperationRequest } from '../spec/operations';
import type {
  AlertSettingsRequest,
  EnvironmentAlerts,
  ClusterState,
  EnvironmentConfig,
  IslandLedger,
  IslandView,
  Environment,
  EnvironmentEvent,
  EnvironmentPart,
  EnvironmentPhase,
  EnvironmentWithParts,
  Operation,
  PodView,
  RegistryEntry,
  ResolveResult,
  Revision,
  Topology,
} from '../types';

import { DefaultApiClient } from '../schema/openapi';

const enc = encodeURIComponent;

/** What the client needs from its host: Backstage's DiscoveryApi and FetchApi fit. */
export interface EnvironmentsClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi?: { fetch: typeof fetch };
}

export interface ListEnvironmentsQuery {
  owner?: string | string[];
  purpose?: string;
  phase?: EnvironmentPhase;
  cluster?: string;
  /** Free text over name, title and service names. */
  q?: string;
  /** Only environments that run a service of this catalog component (an entity ref). */
  component?: string;
  /** Only environments of this git branch. */
  branch?: string;
  /** Include destroyed environments. */
  includeDestroyed?: boolean;
}

export interface CreateEnvironmentResult {
  environment: Environment;
  operation: Operation;
}

/** What PUT /environments/{name} did: created, changed (with its operation), or nothing. */
export interface ApplyEnvironmentResult {
  environment: Environment;
  /** The create or apply operation; null when the environment already matched. */
  operation: Operation | null;
  changed: boolean;
}

export interface DryRunResult {
  spec: EnvironmentSpec;
  namespace: string;
  objects: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
  }>;
  capacity: { fits: boolean; message: string };
}

export interface LogsQuery {
  container?: string;
  sinceSeconds?: number;
  sinceTime?: string;
  tailLines?: number;
  follow?: boolean;
  previous?: boolean;
}

/** Optional per-call request options: a token when calling on behalf of a user. */
export interface RequestOptions {
  token?: string;
}

/** Options of a log stream: a token, and a signal that ends it. */
export interface StreamOptions extends RequestOptions {
  signal?: AbortSignal;
}

/**
 * The typed client of the environments backend's REST API. The requests are made by the client
 * that `backstage-repo-tools` generates from the backend's openapi.yaml (`yarn
 * generate:openapi`); this class answers with the domain types and throws a ResponseError,
 * which carries the backend's field errors, on any refusal.
 */
export class EnvironmentsClient {
  private readonly api: DefaultApiClient;
  private readonly discoveryApi: EnvironmentsClientOptions['discoveryApi'];
  private readonly fetchApi: { fetch: typeof fetch };

  constructor(options: EnvironmentsClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
    this.api = new DefaultApiClient({
      discoveryApi: this.discoveryApi,
      fetchApi: this.fetchApi,
    });
  }

  async listEnvironments(
    query: ListEnvironmentsQuery = {},
    options?: RequestOptions,
  ): Promise<{ items: Environment[] }> {
    const { owner, ...rest } = query;
    return answer(
      this.api.listEnvironments(
        {
          query: {
            ...rest,
            purpose: rest.purpose as any,
            owner: owner === undefined ? undefined : [owner].flat(),
          },
        },
        options,
      ),
    );
  }

  getEnvironment(name: string, options?: RequestOptions): Promise<Environment> {
    return answer(
      this.api.getEnvironment({ path: { name }, query: {} }, options),
    );
  }

  /**
   * One environment and parts of its page (its topology, its pods) in one request: what
   * getEnvironment, getTopology and getPods answer, together.
   */
  getEnvironmentWith(
    name: string,
    include: EnvironmentPart[],
    options?: RequestOptions,
  ): Promise<EnvironmentWithParts> {
    return answer(
      this.api.getEnvironment({ path: { name }, query: { include } }, options),
    );
  }

  createEnvironment(
    spec: unknown,
    options?: RequestOptions,
  ): Promise<CreateEnvironmentResult> {
    return answer(
      this.api.createEnvironment({ body: spec as any, query: {} }, options),
    );
  }

  /**
   * Applies a spec idempotently: creates the environment, or changes it to match, or does
   * nothing when it already matches (CI's way in, docs/ci.md).
   */
  applyEnvironment(
    name: string,
    spec: unknown,
    options?: RequestOptions,
  ): Promise<ApplyEnvironmentResult> {
    return answer(
      this.api.applyEnvironment({ path: { name }, body: spec as any }, options),
    );
  }

  dryRunCreate(spec: unknown, options?: RequestOptions): Promise<DryRunResult> {
    return answer(
      this.api.createEnvironment(
        { body: spec as any, query: { dryRun: true } },
        options,
      ),
    );
  }

  requestOperation(
    name: string,
    body: OperationRequest,
    options?: RequestOptions,
  ): Promise<Operation> {
    return answer(
      this.api.requestOperation({ path: { name }, body: body as any }, options),
    );
  }

  /**
   * Queues a destroy. An environment others use as their base needs `dependants`: orphan (they
   * stop falling back to it) or destroy (they go too).
   */
  destroyEnvironment(
    name: string,
    options?: RequestOptions & { dependants?: 'refuse' | 'orphan' | 'destroy' },
  ): Promise<Operation> {
    const { dependants, ...rest } = options ?? {};
    return answer(
      this.api.destroyEnvironment(
        { path: { name }, query: dependants ? { dependants } : {} },
        rest,
      ),
    );
  }

  listOperations(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: Operation[] }> {
    return answer(this.api.listOperations({ path: { name } }, options));
  }

  getOperation(
    name: string,
    id: string,
    options?: RequestOptions,
  ): Promise<Operation> {
    return answer(this.api.getOperation({ path: { name, id } }, options));
  }

  /** Revisions newest first, a page at a time: pass nextBefore as before for the next page. */
  listRevisions(
    name: string,
    options?: RequestOptions & { limit?: number; before?: number },
  ): Promise<{ items: Revision[]; nextBefore?: number }> {
    const { limit, before, ...rest } = options ?? {};
    return answer(
      this.api.listRevisions(
        {
          path: { name },
          query: {
            ...(limit !== undefined ? { limit } : {}),
            ...(before !== undefined ? { before } : {}),
          },
        },
        rest,
      ),
    );
  }

  getRegistry(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: RegistryEntry[]; resolved: ResolveResult[] }> {
    return answer(this.api.getRegistry({ path: { name } }, options));
  }

  resolve(
    name: string,
    service: string,
    options?: RequestOptions,
  ): Promise<ResolveResult> {
    return answer(this.api.resolve({ path: { name, service } }, options));
  }

  getPods(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: PodView[] }> {
    return answer(this.api.listPods({ path: { name } }, options));
  }

  /** The environment's game-server islands (seed 002). */
  listIslands(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: IslandView[] }> {
    return answer(this.api.listIslands({ path: { name } }, options));
  }

  /** The configured clusters: which is the default, which are reachable. */
  listClusters(options?: RequestOptions): Promise<{ items: ClusterState[] }> {
    return answer(this.api.listClusters({}, options));
  }

  /** Which island holds which host ports of a cluster, and how many are free. */
  getIslandLedger(
    cluster: string,
    options?: RequestOptions,
  ): Promise<IslandLedger> {
    return answer(this.api.getIslandLedger({ path: { cluster } }, options));
  }

  /** Each service's env values and config files, where each comes from, and what a deploy would change. */
  getConfig(
    name: string,
    options?: RequestOptions,
  ): Promise<EnvironmentConfig> {
    return answer(this.api.getConfig({ path: { name } }, options));
  }

  /** The environment's alert rules with their sources, channels, watchers and recent alerts. */
  getAlerts(
    name: string,
    options?: RequestOptions,
  ): Promise<EnvironmentAlerts> {
    return answer(this.api.getAlerts({ path: { name } }, options));
  }

  /** Replaces the environment's own alert rules and channels (update permission). */
  updateAlerts(
    name: string,
    settings: AlertSettingsRequest,
    options?: RequestOptions,
  ): Promise<EnvironmentAlerts> {
    return answer(
      this.api.updateAlerts({ path: { name }, body: settings }, options),
    );
  }

  /** The signed-in user watches the environment's alerts, or stops. */
  setWatching(
    name: string,
    watching: boolean,
    options?: RequestOptions,
  ): Promise<EnvironmentAlerts> {
    return answer(
      watching
        ? this.api.watchEnvironment({ path: { name } }, options)
        : this.api.unwatchEnvironment({ path: { name } }, options),
    );
  }

  getTopology(name: string, options?: RequestOptions): Promise<Topology> {
    return answer(this.api.getTopology({ path: { name } }, options));
  }

  getEvents(
    name: string,
    options?: RequestOptions,
  ): Promise<{ items: EnvironmentEvent[] }> {
    return answer(this.api.listEvents({ path: { name } }, options));
  }

  /** The URL of a pod's log stream (text/plain, chunked while following). */
  async logsUrl(
    name: string,
    pod: string,
    query: LogsQuery = {},
  ): Promise<string> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined) params.set(k, String(v));
    }
    const base = await this.discoveryApi.getBaseUrl('environments');
    return `${base}/environments/${enc(name)}/pods/${enc(pod)}/logs?${params}`;
  }

  /**
   * Opens a pod's log stream. Not through the generated client: a followed stream lives until
   * the caller aborts it, and the generated client takes no abort signal.
   */
  async streamLogs(
    name: string,
    pod: string,
    query: LogsQuery = {},
    options?: StreamOptions,
  ): Promise<Response> {
    const res = await this.fetchApi.fetch(
      await this.logsUrl(name, pod, query),
      {
        headers: options?.token
          ? { Authorization: `Bearer ${options.token}` }
          : undefined,
        signal: options?.signal,
      },
    );
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return res;
  }
}

/** The JSON body of a successful response; a ResponseError for any other. */
async function answer<T>(pending: Promise<unknown>): Promise<T> {
  const res = (await pending) as Response;
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return (await res.json()) as T;
}
