/*
 * Test doubles for component tests: an in-memory environments API that records what it was
 * asked, and a signal API the test fires by hand. Pure unit tests only; the browser tests run
 * against the real backend and cluster.
 */
import type {
  AlertSettingsRequest,
  EnvironmentAlerts,
  ClusterState,
  EnvironmentConfig,
  Environment,
  EnvironmentEvent,
  IslandLedger,
  IslandView,
  Operation,
  PodView,
  RegistryEntry,
  ResolveResult,
  Revision,
  ServiceStatus,
  Topology,
} from '@archipelago/plugin-environments-common';
import type { EnvironmentsApi } from '../api';

export const NOW = Date.now();
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

export function service(
  name: string,
  overrides: Partial<ServiceStatus> = {},
): ServiceStatus {
  return {
    name,
    kind: 'http',
    version: '1.0.0',
    desiredReplicas: 1,
    readyReplicas: 1,
    pods: 1,
    health: 'Ready',
    reasons: [],
    ...overrides,
  };
}

export function environment(
  name: string,
  overrides: Partial<Environment> = {},
): Environment {
  const services = overrides.status?.services ?? [
    service('game', { kind: 'socket', version: '20211001' }),
    service('gateway', {
      kind: 'socket',
      readyReplicas: 2,
      desiredReplicas: 2,
    }),
  ];
  return {
    name,
    owner: 'group:default/backend',
    purpose: 'feature',
    cluster: 'local',
    namespace: `env-${name}`,
    base: 'integration',
    labels: {},
    revision: 2,
    spec: {
      name,
      owner: 'group:default/backend',
      purpose: 'feature',
      base: 'integration',
      services: services.map(s => ({ name: s.name, version: s.version })),
    },
    stopped: false,
    createdAt: iso(-3_600_000),
    updatedAt: iso(-600_000),
    createdBy: 'user:default/guest',
    expiresAt: iso(5 * 3_600_000),
    status: {
      phase: 'Ready',
      reasons: [],
      services,
      observedAt: iso(0),
    },
    ...overrides,
  };
}

export function pod(
  name: string,
  serviceName: string,
  overrides: Partial<PodView> = {},
): PodView {
  return {
    name,
    service: serviceName,
    version: '1.0.0',
    phase: 'Running',
    ready: true,
    restarts: 0,
    createdAt: iso(-300_000),
    node: 'kwok-node-0',
    ip: '10.0.0.7',
    containers: [
      { name: serviceName, ready: true, restarts: 0, state: 'running' },
    ],
    ...overrides,
  };
}

export function operation(
  id: string,
  overrides: Partial<Operation> = {},
): Operation {
  return {
    id,
    environment: 'feature-login',
    type: 'deploy',
    status: 'succeeded',
    requestedBy: 'user:default/guest',
    params: {},
    steps: [
      { name: 'render', status: 'succeeded' },
      { name: 'apply', status: 'succeeded', message: 'applied 6 objects' },
    ],
    attempts: 1,
    createdAt: iso(-60_000),
    startedAt: iso(-59_000),
    finishedAt: iso(-50_000),
    ...overrides,
  };
}

type Call = { method: string; args: unknown[] };

/** An EnvironmentsApi over plain data; every call is recorded in `calls`. */
export class FakeEnvironmentsApi implements EnvironmentsApi {
  calls: Call[] = [];
  environments = new Map<string, Environment>();
  pods = new Map<string, PodView[]>();
  topology = new Map<string, Topology>();
  events = new Map<string, EnvironmentEvent[]>();
  operations = new Map<string, Operation[]>();
  revisions = new Map<string, Revision[]>();
  registry = new Map<
    string,
    { items: RegistryEntry[]; resolved: ResolveResult[] }
  >();
  islands = new Map<string, IslandView[]>();
  ledger?: IslandLedger;
  configs = new Map<string, EnvironmentConfig>();
  alerts = new Map<string, EnvironmentAlerts>();
  /** What updateAlerts throws instead of storing, when set. */
  alertsRefusal?: Error;
  clusters: ClusterState[] = [
    {
      name: 'local',
      default: true,
      reachable: true,
      synced: true,
      cachedObjects: 10,
      maxRequestsInFlight: 16,
      peakRequestsInFlight: 1,
    },
  ];
  /** What requestOperation and destroyEnvironment answer; a function may throw. */
  nextOperation: (body: unknown) => Operation = body =>
    operation('op-new', {
      type: (body as any).type,
      status: 'pending',
      steps: [],
    });
  /** Chunks a log stream delivers, then it ends (or stays open when follow is asked). */
  logChunks: string[] = [];

  constructor(envs: Environment[] = []) {
    for (const e of envs) this.environments.set(e.name, e);
  }

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }

  callsOf(method: string) {
    return this.calls.filter(c => c.method === method).map(c => c.args);
  }

  private env(name: string) {
    const e = this.environments.get(name);
    if (!e) {
      const error: any = new Error(`No environment named "${name}"`);
      error.name = 'NotFoundError';
      throw error;
    }
    return e;
  }

  async listEnvironments(query: any = {}) {
    this.record('listEnvironments', query);
    return { items: [...this.environments.values()] };
  }
  async getEnvironment(name: string) {
    this.record('getEnvironment', name);
    return this.env(name);
  }
  async requestOperation(name: string, body: any) {
    this.record('requestOperation', name, body);
    const op = this.nextOperation(body);
    this.operations.set(name, [op, ...(this.operations.get(name) ?? [])]);
    return op;
  }
  async destroyEnvironment(name: string, options?: { dependants?: string }) {
    if (options?.dependants)
      this.record('destroyEnvironment', name, options.dependants);
    else this.record('destroyEnvironment', name);
    return this.nextOperation({ type: 'destroy' });
  }
  async listOperations(name: string) {
    this.record('listOperations', name);
    return { items: this.operations.get(name) ?? [] };
  }
  async getOperation(name: string, id: string) {
    this.record('getOperation', name, id);
    const op = (this.operations.get(name) ?? []).find(o => o.id === id);
    if (!op) throw new Error(`No operation ${id}`);
    return op;
  }
  async listRevisions(name: string) {
    this.record('listRevisions', name);
    return { items: this.revisions.get(name) ?? [] };
  }
  async getRegistry(name: string) {
    this.record('getRegistry', name);
    return this.registry.get(name) ?? { items: [], resolved: [] };
  }
  async listIslands(name: string) {
    this.record('listIslands', name);
    return { items: this.islands.get(name) ?? [] };
  }
  async getConfig(name: string) {
    this.record('getConfig', name);
    return this.configs.get(name) ?? { revision: 1, services: [] };
  }
  async getAlerts(name: string) {
    this.record('getAlerts', name);
    this.env(name);
    return structuredClone(this.alerts.get(name) ?? alertsOf(name));
  }
  async updateAlerts(name: string, body: AlertSettingsRequest) {
    this.record('updateAlerts', name, body);
    if (this.alertsRefusal) throw this.alertsRefusal;
    const view = await this.getAlerts(name);
    for (const r of view.rules) {
      const own = body.rules?.[r.key];
      r.value = own ?? r.purposeDefault;
      r.source = own ? 'environment' : 'purpose';
    }
    view.channels = {
      ...view.channels,
      selected:
        body.channels ??
        view.channels.available.filter(c => c.default).map(c => c.name),
      source: body.channels ? 'environment' : 'default',
    };
    this.alerts.set(name, view);
    return structuredClone(view);
  }
  async setWatching(name: string, watching: boolean) {
    this.record('setWatching', name, watching);
    const view = await this.getAlerts(name);
    const me = 'user:default/tester';
    view.watching = watching;
    view.watchers = watching
      ? [...new Set([...view.watchers, me])]
      : view.watchers.filter(w => w !== me);
    this.alerts.set(name, view);
    return structuredClone(view);
  }
  async listClusters() {
    this.record('listClusters');
    return { items: this.clusters };
  }
  async getIslandLedger(cluster: string) {
    this.record('getIslandLedger', cluster);
    return (
      this.ledger ?? {
        cluster,
        range: { from: 7000, to: 7999 },
        total: 1000,
        used: 0,
        free: 1000,
        nearlyExhausted: false,
        holders: [],
      }
    );
  }
  async getPods(name: string) {
    this.record('getPods', name);
    return { items: this.pods.get(name) ?? [] };
  }
  async getTopology(name: string) {
    this.record('getTopology', name);
    return this.topology.get(name) ?? { nodes: [], edges: [] };
  }
  async getEvents(name: string) {
    this.record('getEvents', name);
    return { items: this.events.get(name) ?? [] };
  }
  async streamLogs(name: string, podName: string, query: any = {}) {
    this.record('streamLogs', name, podName, query);
    const chunks = [...this.logChunks];
    const encoder = new TextEncoder();
    const body = {
      getReader: () => ({
        read: async () => {
          const next = chunks.shift();
          if (next === undefined) {
            // A followed stream stays open; a plain one ends.
            if (query.follow) return new Promise<never>(() => {});
            return { done: true, value: undefined };
          }
          return { done: false, value: encoder.encode(next) };
        },
      }),
    };
    return { ok: true, status: 200, body } as unknown as Response;
  }
}

/** A SignalApi whose signals the test sends with `fire`. */
export class FakeSignalApi {
  private subscribers = new Map<string, Set<(m: any) => void>>();
  subscribe(channel: string, onMessage: (m: any) => void) {
    const set = this.subscribers.get(channel) ?? new Set();
    set.add(onMessage);
    this.subscribers.set(channel, set);
    return { unsubscribe: () => set.delete(onMessage) };
  }
  fire(channel: string, message: Record<string, unknown> = {}) {
    for (const s of this.subscribers.get(channel) ?? []) s(message);
  }
  subscribed(channel: string) {
    return (this.subscribers.get(channel)?.size ?? 0) > 0;
  }
}

/** The error the API client throws for a refusal with this status and body. */
export async function responseError(status: number, body: unknown) {
  const { ResponseError } = await import('@backstage/errors');
  return ResponseError.fromResponse({
    ok: false,
    status,
    statusText: String(status),
    url: 'http://localhost/api/environments',
    headers: {
      get: (k: string) =>
        k.toLocaleLowerCase('en-US') === 'content-type'
          ? 'application/json'
          : null,
    },
    text: async () => JSON.stringify(body),
  } as any);
}

/** An environment's alerts with the purpose defaults, no channels chosen and no history. */
export function alertsOf(
  name: string,
  over: Partial<EnvironmentAlerts> = {},
): EnvironmentAlerts {
  const rule = (r: string, key: any, value: string) => ({
    rule: r,
    key,
    value,
    source: 'purpose' as const,
    purposeDefault: value,
  });
  return {
    rules: [
      rule('degraded', 'degradedFor', '5m'),
      rule('crashLoop', 'crashLoop', '2m'),
      rule('islandDown', 'islandDown', '2m'),
      rule('operationFailed', 'operationFailed', 'on'),
      rule('expiring', 'expiringWithin', '1h'),
    ],
    channels: { available: [], selected: [], source: 'default' },
    owner: environment(name).owner,
    watchers: [],
    watching: false,
    open: [],
    history: [],
    ...over,
  };
}
