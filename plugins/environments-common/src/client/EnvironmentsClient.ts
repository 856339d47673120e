import { ResponseError } from '@backstage/errors';
import type { EnvironmentSpec } from '../spec/schema';
import type { OperationRequest } from '../spec/operations';
import type {
  Environment,
  EnvironmentEvent,
  EnvironmentPhase,
  Operation,
  PodView,
  RegistryEntry,
  ResolveResult,
  Revision,
  Topology,
} from '../types';

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
  /** Include destroyed environments. */
  includeDestroyed?: boolean;
}

export interface CreateEnvironmentResult {
  environment: Environment;
  operation: Operation;
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
  signal?: AbortSignal;
}

/** The typed client of the environments backend's REST API (see its openapi.yaml). */
export class EnvironmentsClient {
  private readonly discoveryApi: EnvironmentsClientOptions['discoveryApi'];
  private readonly fetchApi: { fetch: typeof fetch };

  constructor(options: EnvironmentsClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi ?? { fetch: (...a) => fetch(...a) };
  }

  async listEnvironments(
    query: ListEnvironmentsQuery = {},
    options?: RequestOptions,
  ) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const item of [v].flat()) params.append(k, String(item));
    }
    const qs = params.toString();
    return this.request<{ items: Environment[] }>(
      'GET',
      `/environments${qs ? `?${qs}` : ''}`,
      undefined,
      options,
    );
  }

  getEnvironment(name: string, options?: RequestOptions) {
    return this.request<Environment>(
      'GET',
      `/environments/${enc(name)}`,
      undefined,
      options,
    );
  }

  createEnvironment(spec: unknown, options?: RequestOptions) {
    return this.request<CreateEnvironmentResult>(
      'POST',
      '/environments',
      spec,
      options,
    );
  }

  dryRunCreate(spec: unknown, options?: RequestOptions) {
    return this.request<DryRunResult>(
      'POST',
      '/environments?dryRun=true',
      spec,
      options,
    );
  }

  requestOperation(
    name: string,
    body: OperationRequest,
    options?: RequestOptions,
  ) {
    return this.request<Operation>(
      'POST',
      `/environments/${enc(name)}/operations`,
      body,
      options,
    );
  }

  destroyEnvironment(name: string, options?: RequestOptions) {
    return this.request<Operation>(
      'DELETE',
      `/environments/${enc(name)}`,
      undefined,
      options,
    );
  }

  listOperations(name: string, options?: RequestOptions) {
    return this.request<{ items: Operation[] }>(
      'GET',
      `/environments/${enc(name)}/operations`,
      undefined,
      options,
    );
  }

  getOperation(name: string, id: string, options?: RequestOptions) {
    return this.request<Operation>(
      'GET',
      `/environments/${enc(name)}/operations/${enc(id)}`,
      undefined,
      options,
    );
  }

  listRevisions(name: string, options?: RequestOptions) {
    return this.request<{ items: Revision[] }>(
      'GET',
      `/environments/${enc(name)}/revisions`,
      undefined,
      options,
    );
  }

  getRegistry(name: string, options?: RequestOptions) {
    return this.request<{ items: RegistryEntry[]; resolved: ResolveResult[] }>(
      'GET',
      `/environments/${enc(name)}/registry`,
      undefined,
      options,
    );
  }

  resolve(name: string, service: string, options?: RequestOptions) {
    return this.request<ResolveResult>(
      'GET',
      `/environments/${enc(name)}/resolve/${enc(service)}`,
      undefined,
      options,
    );
  }

  getPods(name: string, options?: RequestOptions) {
    return this.request<{ items: PodView[] }>(
      'GET',
      `/environments/${enc(name)}/pods`,
      undefined,
      options,
    );
  }

  getTopology(name: string, options?: RequestOptions) {
    return this.request<Topology>(
      'GET',
      `/environments/${enc(name)}/topology`,
      undefined,
      options,
    );
  }

  getEvents(name: string, options?: RequestOptions) {
    return this.request<{ items: EnvironmentEvent[] }>(
      'GET',
      `/environments/${enc(name)}/events`,
      undefined,
      options,
    );
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

  /** Opens a pod's log stream. */
  async streamLogs(
    name: string,
    pod: string,
    query: LogsQuery = {},
    options?: RequestOptions,
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

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<T> {
    const base = await this.discoveryApi.getBaseUrl('environments');
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options?.token) headers.Authorization = `Bearer ${options.token}`;
    const res = await this.fetchApi.fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options?.signal,
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }
}
