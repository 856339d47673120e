import type { EnvironmentSpec, WorkloadKind } from './spec/schema';
import type { ConfigSource } from './spec/validation';

export const ENVIRONMENT_PHASES = [
  'Creating',
  'Ready',
  'Degraded',
  'Stopped',
  'Failed',
  'Destroying',
  'Expired',
  'Destroyed',
] as const;
export type EnvironmentPhase = (typeof ENVIRONMENT_PHASES)[number];

export type ServiceHealth =
  | 'Ready'
  | 'Progressing'
  | 'Degraded'
  | 'Stopped'
  | 'Failed'
  | 'Missing';

export interface ServiceStatus {
  name: string;
  kind: WorkloadKind;
  version: string;
  desiredReplicas: number;
  readyReplicas: number;
  pods: number;
  health: ServiceHealth;
  /** Why the service is not Ready, one line per cause ("web-abc: CrashLoopBackOff (exit 1)"). */
  reasons: string[];
  /**
   * Each version's workload, when the service runs or is leaving more than one (a gray
   * release): the primary first, then the others; versions on their way out last.
   */
  versions?: VersionStatus[];
  /** The HPA's bounds, for an autoscaled service. */
  autoscaling?: { min: number; max: number };
}

export interface VersionStatus {
  version: string;
  /** Its workload's and its Service's name, e.g. web-v1-0-0001. */
  name: string;
  /** The version that takes what the others leave. */
  primary: boolean;
  /** Percent of the traffic that no header rule takes. */
  weight: number;
  /** The Version header value routed to it, if any. */
  header?: string;
  desiredReplicas: number;
  readyReplicas: number;
  health: ServiceHealth;
  /** No longer desired: it goes once the desired versions are ready. */
  retiring: boolean;
}

export interface EnvironmentStatus {
  phase: EnvironmentPhase;
  reasons: string[];
  services: ServiceStatus[];
  observedAt: string;
}

export interface Environment {
  name: string;
  title?: string;
  owner: string;
  purpose: EnvironmentSpec['purpose'];
  cluster: string;
  namespace: string;
  base?: string;
  labels: Record<string, string>;
  revision: number;
  spec: EnvironmentSpec;
  stopped: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  expiresAt?: string;
  destroyedAt?: string;
  status: EnvironmentStatus;
  /** The newest operation, so lists can show progress without another request. */
  lastOperation?: Operation;
  /**
   * While the environment's cluster is unreachable: since when, and its last error. The
   * status is then the last one observed, and operations wait for the cluster.
   */
  clusterUnreachable?: { since: string; error?: string };
  /**
   * While sleep has it stopped (nobody used it for its purpose's sleepAfter): since when, and
   * the services sleep stopped. A start wakes it.
   */
  asleep?: { since: string; services: string[] };
}

export const OPERATION_TYPES = [
  'create',
  'deploy',
  /** PUT /environments/{name}: a whole spec applied (CI's way in, docs/ci.md). */
  'apply',
  'stop',
  'start',
  'restart',
  'rollback',
  'extend',
  'destroy',
  'expire',
  /** The reconciler puts back what someone changed or deleted by hand (drift). */
  'repair',
  'island-add',
  'island-stop',
  'island-start',
  'island-restart',
  'island-remove',
  'clock',
  'release-start',
  'release-weight',
  'release-promote',
  'release-abort',
] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];
export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface OperationStep {
  name: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface Operation {
  id: string;
  environment: string;
  type: OperationType;
  status: OperationState;
  requestedBy: string;
  params: Record<string, unknown>;
  /** The revision this operation applies (for create, deploy, rollback). */
  revision?: number;
  steps: OperationStep[];
  error?: string;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface Revision {
  environment: string;
  revision: number;
  spec: EnvironmentSpec;
  reason: string;
  createdBy: string;
  createdAt: string;
}

export interface RegistryEntry {
  environment: string;
  service: string;
  version: string;
  instance: string;
  address: string;
  ports: Array<{ name: string; port: number }>;
  ready: boolean;
  node?: string;
  /** The island id, for an island: its address is its node's, its ports are host ports. */
  island?: number;
  registeredAt: string;
  updatedAt: string;
}

export interface ResolveResult {
  environment: string;
  service: string;
  /** The environment whose instances answer: the environment itself or a base, recursively. */
  answeredBy: string;
  /** The environments asked, in order, ending with answeredBy. */
  chain: string[];
  /** In-cluster DNS name of the service that answers. */
  address: string;
  instances: RegistryEntry[];
}

export interface ContainerView {
  name: string;
  ready: boolean;
  restarts: number;
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  reason?: string;
  message?: string;
}

export interface PodView {
  name: string;
  service: string;
  version: string;
  phase: string;
  ready: boolean;
  restarts: number;
  createdAt?: string;
  node?: string;
  ip?: string;
  reason?: string;
  containers: ContainerView[];
}

export interface TopologyNode {
  id: string;
  service: string;
  /** The environment that runs it: this one, or a base it falls back to. */
  environment: string;
  kind?: WorkloadKind;
  version?: string;
  ready: number;
  total: number;
  health: ServiceHealth;
  address: string;
  fallback: boolean;
  /** The versions it runs side by side (a gray release), primary first. */
  versions?: Array<
    Pick<
      VersionStatus,
      | 'version'
      | 'primary'
      | 'weight'
      | 'header'
      | 'readyReplicas'
      | 'desiredReplicas'
      | 'retiring'
    >
  >;
}

export interface TopologyEdge {
  from: string;
  to: string;
  fallback: boolean;
}

export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

/** Parts of an environment's page that GET /environments/{name}?include=… adds to it. */
export type EnvironmentPart = 'topology' | 'pods';

/** An environment with the parts of its page asked for (`include`). */
export interface EnvironmentWithParts extends Environment {
  included: {
    topology?: Topology;
    pods?: { items: PodView[] };
  };
}

export interface EnvironmentEvent {
  type: string;
  reason: string;
  message: string;
  object: { kind: string; name: string };
  count: number;
  lastTimestamp?: string;
}

/** The signal channel that carries an environment's changes to browsers. */
export const environmentSignalChannel = (name: string) =>
  `environments:${name}`;
/** The signal channel for changes to the list of environments. */
export const ENVIRONMENTS_SIGNAL_CHANNEL = 'environments';

/**
 * What a signal says: only that something changed, never what. Signals reach every browser
 * subscribed to the channel, whatever its user may read; the portal fetches the news through
 * the REST API, which checks the read permission.
 */
export interface EnvironmentSignal {
  change: 'status' | 'pods' | 'operation';
  [key: string]: unknown;
}

/** Where an island stands, as observed. */
export type IslandPhase =
  /** Its Pod is scheduled and starting, or waiting for a node. */
  | 'Starting'
  | 'Ready'
  /** Its process exited or crashed; it stays down until someone starts it. */
  | 'Down'
  /** Its node went away, or its Pod was deleted behind Archipelago's back. */
  | 'Lost'
  | 'Stopped'
  /** Removed; its ports return to the pool once its Pod is gone. */
  | 'Removing';

/** One game-server island (seed 002), as GET /environments/:name/islands shows it. */
export interface IslandView {
  /** Unique across the cluster, stable for the island's life. */
  id: number;
  service: string;
  /** running or stopped, as asked. */
  desired: 'running' | 'stopped';
  phase: IslandPhase;
  /** Why it is not Ready: the exit code and reason, the node, the scheduler. */
  reason?: string;
  exitCode?: number;
  pod?: string;
  node?: string;
  hostIP?: string;
  podIP?: string;
  /** Its host ports, by name. */
  ports: Array<{ name: string; port: number }>;
  /** What a game client connects to: host:port per named port (once it has a node). */
  connect: Array<{ name: string; address: string }>;
  clock: {
    /** The clock in effect, and whether the island sets its own. */
    effective: import('./spec/islands').Clock;
    source: 'island' | 'service' | 'environment';
    description: string;
    /** When the clock in effect was last set (a start runs from then, or from the Pod's start). */
    since?: string;
  };
  /** Whether the registry holds its entry (it is Ready and registered). */
  registered: boolean;
  /** The exited Pod of its launch before this one, kept for its logs after a restart. */
  previous?: { pod: string; exitCode?: number; reason?: string };
  startedAt?: string;
  restarts: number;
}

/**
 * One env value or config file of a service, where it comes from, and what the next deploy of
 * the service would make of it (its definition or a base changed since): `value` is absent
 * for one that only the next deploy brings, `next.value` for one it drops.
 */
export interface ConfigEntry {
  /** The variable's name, or the file's path. */
  name: string;
  value?: string;
  source?: ConfigSource;
  next?: { value?: string; source?: ConfigSource };
}

/** A service's configuration as its current revision pinned it (GET /environments/{name}/config). */
export interface ServiceConfig {
  name: string;
  /** Whether it takes its base's values (inheritConfig, default true). */
  inheritConfig: boolean;
  /** The base environment it inherits from: the nearest that runs a service of this name. */
  inheritsFrom?: string;
  env: ConfigEntry[];
  configFiles: ConfigEntry[];
  /** Secret variables: references only, never values. */
  secrets: Array<{ name: string; secret: string; key: string }>;
  /** Whether a deploy of the service would change any of the above. */
  changedSinceDeploy: boolean;
}

export interface EnvironmentConfig {
  revision: number;
  base?: string;
  services: ServiceConfig[];
  /**
   * What would refuse a deploy now, by field of the spec: what the base or the definitions
   * hold today no longer goes with this environment's own values (a base's new env value
   * that one of its secrets names, config files over the size limit).
   */
  deployProblems?: Array<{ path: string; message: string }>;
}

/** A configured cluster, as the backend sees it (GET /clusters). */
export interface ClusterState {
  name: string;
  /** A new environment that names no cluster goes here first (environments.defaultCluster). */
  default?: boolean;
  /** Whether every watch of the cluster answered its last call. */
  reachable: boolean;
  /** While unreachable: since when, and the last error. */
  unreachableSince?: string;
  lastError?: string;
  /** Whether every watched kind has been listed since the backend started. */
  synced: boolean;
  cachedObjects: number;
  maxRequestsInFlight: number;
  peakRequestsInFlight: number;
  serviceIPs?: { total: number; used: number };
}

/** The cluster-wide island port ledger. */
export interface IslandLedger {
  cluster: string;
  range: { from: number; to: number };
  total: number;
  used: number;
  free: number;
  /** Free ports are at most this share of the range: the UI warns. */
  nearlyExhausted: boolean;
  holders: Array<{
    island: number;
    environment: string;
    service: string;
    ports: number[];
    removed: boolean;
  }>;
}

/** The alert rules (docs/configuration.md#alerts), by the key config and the API use. */
export const ALERT_RULE_KEYS = [
  'degradedFor',
  'crashLoop',
  'islandDown',
  'operationFailed',
  'expiringWithin',
] as const;
export type AlertRuleKey = (typeof ALERT_RULE_KEYS)[number];

/** GET /environments/{name}/alerts: an environment's alerts and who receives them. */
export interface EnvironmentAlerts {
  rules: Array<{
    /** The rule: degraded, crashLoop, islandDown, operationFailed or expiring. */
    rule: string;
    key: AlertRuleKey;
    /** In effect: a duration such as "5m", "on" or "off". */
    value: string;
    /** Where the value in effect comes from. */
    source: 'purpose' | 'environment';
    /** The purpose's value, which applies when the environment sets none. */
    purposeDefault: string;
  }>;
  channels: {
    /** The chat channels configured in app config (never their URLs). */
    available: Array<{ name: string; type: string; default: boolean }>;
    /** The channels this environment's alerts go to. */
    selected: string[];
    /** default: the channels configured as default; environment: chosen for it. */
    source: 'default' | 'environment';
  };
  owner: string;
  /** Users who watch it; they, and the owner, get its alerts as Backstage notifications. */
  watchers: string[];
  /** Whether the caller watches it. */
  watching: boolean;
  /** Alerts firing now. */
  open: Array<{ rule: string; key: string; title: string; firedAt: string }>;
  /** The latest alerts sent, newest first. */
  history: Array<{
    rule: string;
    key: string;
    kind: 'firing' | 'resolved';
    title: string;
    details: string[];
    at: string;
  }>;
}

/** PUT /environments/{name}/alerts: replaces the environment's own rules and channels. */
export interface AlertSettingsRequest {
  /** A rule left out follows its purpose. */
  rules?: Partial<Record<AlertRuleKey, string>>;
  /** Left out or null: the channels configured as default. */
  channels?: string[] | null;
}
