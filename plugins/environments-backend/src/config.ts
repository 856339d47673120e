import type { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  PURPOSES,
  Purpose,
  parseDuration,
  parseCpu,
  parseMemory,
} from '@archipelago/plugin-environments-common';
import type { Sizing } from './render/render';
import {
  ALERT_RULES,
  EffectiveRules,
  RULE_KEYS,
  parseRuleValue,
} from './alerts/rules';
import {
  CHANNEL_TYPES,
  ChannelSettings,
  ChannelType,
} from './alerts/channels/types';
import {
  SqlRegistrarSettings,
  readSqlRegistrarSettings,
} from './registry/SqlRegistrar';

export interface ClusterSettings {
  name: string;
  url: string;
  serviceAccountToken: string;
  caData?: string;
  skipTLSVerify?: boolean;
  policy?: ClusterPolicy;
  /** The cluster's island settings; without them the cluster takes no island service. */
  islands?: IslandSettings;
  /** How a service's versions are routed (config clusters[].routing, docs/releases.md). */
  routing: RoutingSettings;
  /** Requests this backend has in flight to the cluster at once (watches aside). */
  maxRequestsInFlight?: number;
}

/** Default of clusters[].maxRequestsInFlight. */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 16;

export const ROUTING_TYPES = ['gateway', 'ingress-nginx', 'none'] as const;

/**
 * gateway: an HTTPRoute per routed service (Gateway API), attached to the service's own
 *   Service for in-cluster callers and, for services with an ingress host, to `gateway`.
 * ingress-nginx: an Ingress per service with ingress-nginx canary annotations per version.
 * none: no routes; the plain Service balances over every version's pods.
 */
export interface RoutingSettings {
  type: (typeof ROUTING_TYPES)[number];
  gateway?: { name: string; namespace: string; sectionName?: string };
}

/** A cluster's island port range and ids (config clusters[].islands). */
export interface IslandSettings {
  ports: { from: number; to: number };
  /** The cluster's NodePort range, which the island range must not overlap. */
  nodePorts: { from: number; to: number };
  /** The first island id handed out. */
  firstId: number;
}

/** The fewest ports an island range may have. */
export const MIN_ISLAND_PORTS = 16;

/** What a spec may reach on a cluster; undefined lists allow anything. */
export interface ClusterPolicy {
  allowedRegistries?: string[];
  allowedNodeSelectorKeys?: string[];
  allowedCapabilities: string[];
  ingressHostSuffix?: string;
  egressCidrs: string[];
}

export const POD_SECURITY_LEVELS = [
  'privileged',
  'baseline',
  'restricted',
] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

export interface PurposeSettings {
  defaultTtlSeconds?: number;
  maxTtlSeconds?: number;
  /** How long before expiry the owner is warned (0: never). */
  expiryWarningSeconds: number;
  /** Unused this long, an environment is stopped and marked asleep (0: never; sleep/). */
  sleepAfterSeconds: number;
  /** The purpose's alert rules, which an environment may override (alerts/rules.ts). */
  alerts: EffectiveRules;
  sizing: Sizing;
  podSecurity: { enforce: PodSecurityLevel; warn: PodSecurityLevel };
}

export interface EnvironmentsConfig {
  clusters: ClusterSettings[];
  defaultCluster: string;
  namespacePrefix: string;
  clusterDomain: string;
  ingressNamespace: string;
  ingressClassName?: string;
  readinessTimeoutMs: number;
  purposes: Record<Purpose, PurposeSettings>;
  queue: {
    concurrencyPerCluster: number;
    pollIntervalMs: number;
    leaseMs: number;
    maxAttempts: number;
  };
  webhook?: { url: string; token?: string };
  /** The built-in SQL registrar (registry/SqlRegistrar.ts). */
  sqlRegistrar?: SqlRegistrarSettings;
  registrars: {
    /** Failed deliveries after which a registration event is marked failed. */
    maxAttempts: number;
  };
  reconcile: {
    /** Every environment is compared with the cluster this often, whatever the watch saw. */
    resyncMs: number;
  };
  /** How often the TTL task looks for expired environments. */
  expiryCheckSeconds: number;
  limits: Limits;
  /** Revisions of a destroyed environment are deleted this long after the destroy. */
  retentionSeconds: number;
  alerts: AlertsSettings;
  terminal: TerminalSettings;
}

/** The web terminal (terminal/): its limits, per user and per session. */
export interface TerminalSettings {
  /** A session without a keystroke for this long is closed. */
  idleTimeoutSeconds: number;
  /** A session is closed after this long, keystrokes or not. */
  maxDurationSeconds: number;
  /** Terminals open at once per user, per backend replica. */
  sessionsPerUser: number;
  /** What runs in the container. */
  command: string[];
}

/** environments.alerts: the chat channels and the check task (docs/configuration.md). */
export interface AlertsSettings {
  channels: ChannelSettings[];
  /** How often the rules are evaluated. */
  checkIntervalSeconds: number;
  /** Tries per message and channel before it is given up (logged). */
  deliveryAttempts: number;
}

/** Each rule's default when neither the purpose's config nor the environment sets it. */
export const DEFAULT_ALERT_RULES: Record<string, string> = {
  degradedFor: '5m',
  crashLoop: '2m',
  islandDown: '2m',
  operationFailed: 'on',
};

/** Bounds on what one owner or user holds at once (see docs/security.md#bounds). */
export interface Limits {
  environmentsPerOwner: number;
  queuedOperationsPerOwner: number;
  logFollowsPerUser: number;
  logFollowSeconds: number;
  logSinceSeconds: number;
}

const DEFAULTS: Record<
  Purpose,
  {
    ttl?: string;
    maxTtl?: string;
    cpu: string;
    memory: string;
    pods: number;
    storage: string;
    /** Feature and sandbox environments sleep; perf runs and shared integration never do. */
    sleepAfter: string;
  }
> = {
  feature: {
    sleepAfter: '4h',
    ttl: '3d',
    maxTtl: '14d',
    cpu: '8',
    memory: '16Gi',
    pods: 50,
    storage: '100Gi',
  },
  sandbox: {
    sleepAfter: '2h',
    ttl: '1d',
    maxTtl: '7d',
    cpu: '4',
    memory: '8Gi',
    pods: 20,
    storage: '50Gi',
  },
  perf: {
    sleepAfter: '0m',
    ttl: '2d',
    maxTtl: '7d',
    cpu: '32',
    memory: '64Gi',
    pods: 200,
    storage: '500Gi',
  },
  integration: {
    sleepAfter: '0m',
    cpu: '16',
    memory: '32Gi',
    pods: 100,
    storage: '200Gi',
  },
};

/**
 * The shortest lease `environments.queue.leaseSeconds` allows. A worker renews its lease every
 * third of it, so a shorter one would hand a live worker's operation to another after a pause
 * of a few seconds (a slow database, a busy event loop).
 */
export const MIN_LEASE_SECONDS = 10;

/** Reads and validates the environments config; every error names its config key. */
export function readEnvironmentsConfig(config: Config): EnvironmentsConfig {
  const env = config.getOptionalConfig('environments');
  const at = (key: string) => `environments.${key}`;
  const duration = (key: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const s = parseDuration(value);
    if (s === undefined)
      throw new InputError(
        `Invalid config ${at(
          key,
        )}: "${value}" must be a duration such as "30m", "8h" or "3d"`,
      );
    return s;
  };

  const clusterConfigs =
    env?.getOptionalConfigArray('clusters') ??
    (config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [])
      .filter(m => m.getString('type') === 'config')
      .flatMap(m => m.getOptionalConfigArray('clusters') ?? []);
  const clusters = clusterConfigs.map((c, i) => {
    const auth = c.getOptionalString('authProvider') ?? 'serviceAccount';
    if (auth !== 'serviceAccount') {
      throw new InputError(
        `Invalid config for cluster ${i} ("${c.getOptionalString(
          'name',
        )}"): authProvider "${auth}" is not supported; use serviceAccount`,
      );
    }
    return {
      name: c.getString('name'),
      url: c.getString('url'),
      serviceAccountToken: c.getString('serviceAccountToken'),
      caData: c.getOptionalString('caData'),
      skipTLSVerify: c.getOptionalBoolean('skipTLSVerify'),
      policy: readClusterPolicy(
        c.getOptionalConfig('policy'),
        `clusters[${i}].policy`,
      ),
      islands: readIslandSettings(
        c.getOptionalConfig('islands'),
        `clusters[${i}].islands`,
      ),
      routing: readRoutingSettings(
        c.getOptionalConfig('routing'),
        `environments.clusters[${i}].routing`,
      ),
      maxRequestsInFlight: readMaxRequestsInFlight(
        c,
        `environments.clusters[${i}].maxRequestsInFlight`,
      ),
    };
  });
  const defaultCluster =
    env?.getOptionalString('defaultCluster') ?? clusters[0]?.name ?? 'local';
  if (clusters.length && !clusters.some(c => c.name === defaultCluster)) {
    throw new InputError(
      `Invalid config ${at(
        'defaultCluster',
      )}: no cluster named "${defaultCluster}"`,
    );
  }
  const namespacePrefix = env?.getOptionalString('namespacePrefix') ?? 'env-';
  if (
    !/^[a-z0-9]([-a-z0-9]*)?$/.test(namespacePrefix) ||
    namespacePrefix.length > 20
  ) {
    throw new InputError(
      `Invalid config ${at(
        'namespacePrefix',
      )}: "${namespacePrefix}" must be at most 20 lower-case letters, digits and "-"`,
    );
  }

  const purposes = {} as Record<Purpose, PurposeSettings>;
  for (const p of PURPOSES) {
    const c = env?.getOptionalConfig(`purposes.${p}`);
    const d = DEFAULTS[p];
    const quota = {
      cpu: c?.getOptionalString('quota.cpu') ?? d.cpu,
      memory: c?.getOptionalString('quota.memory') ?? d.memory,
      pods: c?.getOptionalNumber('quota.pods') ?? d.pods,
      storage: c?.getOptionalString('quota.storage') ?? d.storage,
      claims: c?.getOptionalNumber('quota.claims') ?? 20,
    };
    if (parseCpu(quota.cpu) === undefined)
      throw new InputError(
        `Invalid config ${at(`purposes.${p}.quota.cpu`)}: "${
          quota.cpu
        }" is not a CPU quantity`,
      );
    if (parseMemory(quota.memory) === undefined)
      throw new InputError(
        `Invalid config ${at(`purposes.${p}.quota.memory`)}: "${
          quota.memory
        }" is not a memory quantity`,
      );
    const defaultTtlSeconds = duration(
      `purposes.${p}.defaultTtl`,
      c?.getOptionalString('defaultTtl') ?? d.ttl,
    );
    const maxTtlSeconds = duration(
      `purposes.${p}.maxTtl`,
      c?.getOptionalString('maxTtl') ?? d.maxTtl,
    );
    if (
      defaultTtlSeconds &&
      maxTtlSeconds &&
      defaultTtlSeconds > maxTtlSeconds
    ) {
      throw new InputError(
        `Invalid config ${at(`purposes.${p}.defaultTtl`)}: longer than maxTtl`,
      );
    }
    const level = (key: 'enforce' | 'warn', fallback: PodSecurityLevel) => {
      const v = c?.getOptionalString(`podSecurity.${key}`) ?? fallback;
      if (!(POD_SECURITY_LEVELS as readonly string[]).includes(v))
        throw new InputError(
          `Invalid config ${at(
            `purposes.${p}.podSecurity.${key}`,
          )}: "${v}" must be one of ${POD_SECURITY_LEVELS.join(', ')}`,
        );
      return v as PodSecurityLevel;
    };
    const expiryWarningSeconds =
      duration(
        `purposes.${p}.expiryWarning`,
        c?.getOptionalString('expiryWarning') ?? '1h',
      ) ?? 3600;
    const alerts = {} as EffectiveRules;
    for (const rule of ALERT_RULES) {
      const key = RULE_KEYS[rule];
      const field = `purposes.${p}.alerts.${key}`;
      const text = c?.getOptionalString(`alerts.${key}`);
      if (text === undefined) {
        // The expiring rule's default is the expiry warning's older setting; 0 never warned.
        alerts[rule] =
          rule === 'expiring'
            ? expiryWarningSeconds || null
            : (
                parseRuleValue(rule, DEFAULT_ALERT_RULES[key]) as {
                  value: number | null;
                }
              ).value;
        continue;
      }
      const parsed = parseRuleValue(rule, text);
      if ('error' in parsed)
        throw new InputError(`Invalid config ${at(field)}: ${parsed.error}`);
      alerts[rule] = parsed.value;
    }
    purposes[p] = {
      alerts,
      expiryWarningSeconds,
      sleepAfterSeconds:
        duration(
          `purposes.${p}.sleepAfter`,
          c?.getOptionalString('sleepAfter') ?? d.sleepAfter,
        ) ?? 0,
      podSecurity: {
        enforce: level('enforce', 'baseline'),
        warn: level('warn', 'restricted'),
      },
      defaultTtlSeconds,
      maxTtlSeconds,
      sizing: {
        quota,
        defaultRequests: {
          cpu: c?.getOptionalString('defaultRequests.cpu') ?? '50m',
          memory: c?.getOptionalString('defaultRequests.memory') ?? '64Mi',
        },
        defaultLimits: {
          cpu: c?.getOptionalString('defaultLimits.cpu') ?? '2',
          memory: c?.getOptionalString('defaultLimits.memory') ?? '2Gi',
        },
      },
    };
  }
  const q = env?.getOptionalConfig('queue');
  const concurrency = q?.getOptionalNumber('concurrencyPerCluster') ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 50) {
    throw new InputError(
      `Invalid config ${at(
        'queue.concurrencyPerCluster',
      )}: must be a whole number from 1 to 50`,
    );
  }
  const poll = q?.getOptionalString('pollInterval');
  const pollMs = poll === undefined ? 1000 : /^(\d+)(ms|s)$/.exec(poll);
  if (pollMs === null)
    throw new InputError(
      `Invalid config ${at(
        'queue.pollInterval',
      )}: "${poll}" must be like "500ms" or "2s"`,
    );
  const leaseSeconds = q?.getOptionalNumber('leaseSeconds') ?? 60;
  if (
    !Number.isInteger(leaseSeconds) ||
    leaseSeconds < MIN_LEASE_SECONDS ||
    leaseSeconds > 3600
  )
    throw new InputError(
      `Invalid config ${at(
        'queue.leaseSeconds',
      )}: must be a whole number of seconds from ${MIN_LEASE_SECONDS} to 3600`,
    );
  const maxAttempts = q?.getOptionalNumber('maxAttempts') ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100)
    throw new InputError(
      `Invalid config ${at(
        'queue.maxAttempts',
      )}: must be a whole number from 1 to 100`,
    );
  const webhook = env?.getOptionalConfig('registrars.webhook');
  const registrarAttempts =
    env?.getOptionalNumber('registrars.maxAttempts') ?? 20;
  if (
    !Number.isInteger(registrarAttempts) ||
    registrarAttempts < 1 ||
    registrarAttempts > 1000
  )
    throw new InputError(
      `Invalid config ${at(
        'registrars.maxAttempts',
      )}: must be a whole number from 1 to 1000`,
    );
  const resyncText = env?.getOptionalString('reconcile.resyncInterval');
  const resyncMatch =
    resyncText === undefined ? undefined : /^(\d+)(s|m|h)$/.exec(resyncText);
  const resync = resyncMatch
    ? parseInt(resyncMatch[1], 10) *
      { s: 1, m: 60, h: 3600 }[resyncMatch[2] as 's' | 'm' | 'h']
    : undefined;
  if (resyncText !== undefined && (resync === undefined || resync < 10))
    throw new InputError(
      `Invalid config ${at(
        'reconcile.resyncInterval',
      )}: "${resyncText}" must be a duration of at least 10s, such as "30s", "5m" or "1h"`,
    );
  const expiryCheckSeconds = env?.getOptionalNumber('expiryCheckSeconds') ?? 30;
  if (
    !Number.isInteger(expiryCheckSeconds) ||
    expiryCheckSeconds < 1 ||
    expiryCheckSeconds > 3600
  )
    throw new InputError(
      `Invalid config ${at(
        'expiryCheckSeconds',
      )}: must be a whole number of seconds from 1 to 3600`,
    );
  const whole = (key: string, fallback: number, min: number, max: number) => {
    const v = env?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max)
      throw new InputError(
        `Invalid config ${at(
          key,
        )}: must be a whole number from ${min} to ${max}`,
      );
    return v;
  };
  const bounded = (key: string, fallback: string, min: number, max: number) => {
    const text = env?.getOptionalString(key) ?? fallback;
    const seconds = duration(key, text)!;
    if (seconds < min || seconds > max)
      throw new InputError(
        `Invalid config ${at(key)}: "${text}" must be from ${min}s to ${max}s`,
      );
    return seconds;
  };
  const limits: Limits = {
    environmentsPerOwner: whole('limits.environmentsPerOwner', 20, 1, 10_000),
    queuedOperationsPerOwner: whole(
      'limits.queuedOperationsPerOwner',
      50,
      1,
      10_000,
    ),
    logFollowsPerUser: whole('limits.logFollowsPerUser', 5, 1, 100),
    logFollowSeconds: bounded('limits.logFollowDuration', '1h', 10, 86_400),
    logSinceSeconds: bounded('limits.logSince', '7d', 60, 30 * 86_400),
  };
  const command = env?.getOptionalStringArray('terminal.command') ?? [
    '/bin/sh',
  ];
  if (!command.length || command.some(c => !c.trim()))
    throw new InputError(
      `Invalid config ${at(
        'terminal.command',
      )}: must be a command and its arguments, such as ["/bin/sh"] or ["/bin/bash", "-l"]`,
    );
  /** A duration in seconds, minutes, hours or days ("30s", "15m", "8h", "7d"), within bounds. */
  const within = (key: string, fallback: string, min: number, max: number) => {
    const text = env?.getOptionalString(key) ?? fallback;
    const m = /^(\d{1,7})(s|m|h|d)$/.exec(text);
    const seconds = m
      ? parseInt(m[1], 10) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2]]!
      : undefined;
    if (seconds === undefined || seconds < min || seconds > max)
      throw new InputError(
        `Invalid config ${at(
          key,
        )}: "${text}" must be a duration such as "30s", "15m" or "8h", from ${min}s to ${max}s`,
      );
    return seconds;
  };
  const terminal: TerminalSettings = {
    idleTimeoutSeconds: within('terminal.idleTimeout', '15m', 10, 86_400),
    maxDurationSeconds: within('terminal.maxDuration', '8h', 60, 7 * 86_400),
    sessionsPerUser: whole('terminal.sessionsPerUser', 3, 1, 50),
    command,
  };
  const retentionSeconds = bounded(
    'retention.destroyedRevisions',
    '30d',
    3600,
    3650 * 86_400,
  );
  return {
    alerts: readAlertsSettings(env?.getOptionalConfig('alerts')),
    limits,
    terminal,
    retentionSeconds,
    clusters,
    defaultCluster,
    namespacePrefix,
    clusterDomain: env?.getOptionalString('clusterDomain') ?? 'cluster.local',
    ingressNamespace:
      env?.getOptionalString('ingress.namespace') ?? 'ingress-nginx',
    ingressClassName: env?.getOptionalString('ingress.className'),
    readinessTimeoutMs:
      (duration(
        'readinessTimeout',
        env?.getOptionalString('readinessTimeout'),
      ) ?? 15 * 60) * 1000,
    purposes,
    queue: {
      concurrencyPerCluster: concurrency,
      pollIntervalMs:
        typeof pollMs === 'number'
          ? pollMs
          : parseInt(pollMs[1], 10) * (pollMs[2] === 's' ? 1000 : 1),
      leaseMs: leaseSeconds * 1000,
      maxAttempts,
    },
    registrars: { maxAttempts: registrarAttempts },
    reconcile: { resyncMs: (resync ?? 300) * 1000 },
    expiryCheckSeconds,
    sqlRegistrar: readSqlRegistrarSettings(
      env?.getOptionalConfig('registrars.sql'),
    ),
    webhook: webhook
      ? {
          url: webhook.getString('url'),
          token: webhook.getOptionalString('token'),
        }
      : undefined,
  };
}

const CIDR =
  /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;

const portRange = (v: string | undefined, key: string, fallback?: string) => {
  const text = v ?? fallback;
  if (text === undefined) return undefined;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1 || to > 65535 || from > to)
    throw new InputError(
      `Invalid config ${key}: "${text}" must be a port range such as "7000-7999"`,
    );
  return { from, to };
};

/** Reads a cluster's `routing`, naming the key of anything wrong. */
function readMaxRequestsInFlight(c: Config, key: string): number {
  const raw = c.getOptional('maxRequestsInFlight');
  if (raw === undefined) return DEFAULT_MAX_REQUESTS_IN_FLIGHT;
  if (
    typeof raw !== 'number' ||
    !Number.isInteger(raw) ||
    raw < 1 ||
    raw > 1000
  )
    throw new InputError(
      `Invalid config ${key}: ${JSON.stringify(
        raw,
      )} must be a whole number from 1 to 1000`,
    );
  return raw;
}

export function readRoutingSettings(
  c: Config | undefined,
  at: string,
): RoutingSettings {
  const type = c?.getOptionalString('type') ?? 'gateway';
  if (!(ROUTING_TYPES as readonly string[]).includes(type))
    throw new InputError(
      `Invalid config ${at}.type: "${type}" must be one of ${ROUTING_TYPES.join(
        ', ',
      )}`,
    );
  const g = c?.getOptionalConfig('gateway');
  if (g && type !== 'gateway')
    throw new InputError(
      `Invalid config ${at}.gateway: only for type gateway, not ${type}`,
    );
  const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const gateway = g
    ? {
        name: g.getString('name'),
        namespace: g.getString('namespace'),
        sectionName: g.getOptionalString('sectionName'),
      }
    : undefined;
  for (const key of ['name', 'namespace', 'sectionName'] as const) {
    const v = gateway?.[key];
    if (v !== undefined && (!dns.test(v) || v.length > 63))
      throw new InputError(
        `Invalid config ${at}.gateway.${key}: "${v}" must be a DNS label`,
      );
  }
  return {
    type: type as RoutingSettings['type'],
    ...(gateway
      ? {
          gateway: {
            name: gateway.name,
            namespace: gateway.namespace,
            ...(gateway.sectionName
              ? { sectionName: gateway.sectionName }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * Reads a cluster's `islands`: refuses a range that overlaps the cluster's NodePort range
 * (30000-32767 unless nodePortRange says otherwise) or is too small.
 */
export function readIslandSettings(
  c: Config | undefined,
  key: string,
): IslandSettings | undefined {
  if (!c) return undefined;
  const at = (k: string) => `environments.${key}.${k}`;
  const ports = portRange(c.getOptionalString('ports'), at('ports'));
  if (!ports)
    throw new InputError(
      `Invalid config ${at(
        'ports',
      )}: is required, a port range such as "7000-7999"`,
    );
  const nodePorts = portRange(
    c.getOptionalString('nodePortRange'),
    at('nodePortRange'),
    '30000-32767',
  )!;
  const size = ports.to - ports.from + 1;
  if (size < MIN_ISLAND_PORTS)
    throw new InputError(
      `Invalid config ${at('ports')}: ${ports.from}-${
        ports.to
      } has ${size} ports; an island range needs at least ${MIN_ISLAND_PORTS}`,
    );
  if (ports.from <= nodePorts.to && nodePorts.from <= ports.to)
    throw new InputError(
      `Invalid config ${at('ports')}: ${ports.from}-${
        ports.to
      } overlaps the cluster's NodePort range ${nodePorts.from}-${
        nodePorts.to
      } (nodePortRange), where Services' node ports live`,
    );
  const firstId = c.getOptionalNumber('firstId') ?? 1;
  if (!Number.isInteger(firstId) || firstId < 1)
    throw new InputError(
      `Invalid config ${at('firstId')}: must be a whole number from 1`,
    );
  return { ports, nodePorts, firstId };
}

/** Reads a cluster's `policy`; every error names its config key. */
export function readClusterPolicy(
  c: Config | undefined,
  key: string,
): ClusterPolicy {
  const at = (k: string) => `environments.${key}.${k}`;
  const list = (k: string, check?: RegExp, what?: string) => {
    const v = c?.getOptionalStringArray(k);
    for (const [i, item] of (v ?? []).entries()) {
      if (check && !check.test(item))
        throw new InputError(
          `Invalid config ${at(`${k}[${i}]`)}: "${item}" must be ${what}`,
        );
    }
    return v;
  };
  const suffix = c?.getOptionalString('ingressHostSuffix');
  if (
    suffix !== undefined &&
    !/^\.?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(
      suffix,
    )
  )
    throw new InputError(
      `Invalid config ${at(
        'ingressHostSuffix',
      )}: "${suffix}" must be a DNS suffix such as ".dev.studio.local"`,
    );
  return {
    allowedRegistries: list(
      'allowedRegistries',
      /^[a-z0-9.:\-/_]+$/,
      'an image reference prefix such as "registry.studio.local/"',
    ),
    allowedNodeSelectorKeys: list('allowedNodeSelectorKeys'),
    allowedCapabilities:
      list(
        'allowedCapabilities',
        /^[A-Z][A-Z0-9_]{1,31}$/,
        'a capability name such as NET_ADMIN',
      ) ?? [],
    ingressHostSuffix: suffix,
    egressCidrs:
      list('egressCidrs', CIDR, 'an IPv4 CIDR such as "10.0.0.0/8"') ?? [],
  };
}

/** environments.alerts; every error names its key. */
function readAlertsSettings(c: Config | undefined): AlertsSettings {
  const at = (key: string) => `environments.alerts.${key}`;
  const channels = (c?.getOptionalConfigArray('channels') ?? []).map(
    (ch, i) => {
      const field = (key: string) => at(`channels[${i}].${key}`);
      const text = (key: string) => {
        const v = ch.getOptional(key);
        if (v !== undefined && typeof v !== 'string')
          throw new InputError(
            `Invalid config ${field(key)}: must be a string`,
          );
        return v as string | undefined;
      };
      const name = text('name');
      if (!name || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
        throw new InputError(
          `Invalid config ${field(
            'name',
          )}: must be a name of lower-case letters, digits and "-", at most 63 characters`,
        );
      const type = text('type');
      if (!(CHANNEL_TYPES as readonly string[]).includes(type ?? ''))
        throw new InputError(
          `Invalid config ${field('type')}: "${
            type ?? ''
          }" must be one of ${CHANNEL_TYPES.join(', ')}`,
        );
      const url = text('url');
      let parsed: URL | undefined;
      try {
        parsed = url ? new URL(url) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol))
        throw new InputError(
          `Invalid config ${field('url')}: must be an http(s) URL`,
        );
      const secret = text('secret');
      if (secret !== undefined && !['dingtalk', 'feishu'].includes(type!))
        throw new InputError(
          `Invalid config ${field(
            'secret',
          )}: only dingtalk and feishu channels sign their messages (a ${type} channel's key is in its url)`,
        );
      const isDefault = ch.getOptional('default');
      if (isDefault !== undefined && typeof isDefault !== 'boolean')
        throw new InputError(
          `Invalid config ${field('default')}: must be true or false`,
        );
      return {
        name,
        type: type as ChannelType,
        url: url!,
        ...(secret ? { secret } : {}),
        default: isDefault === true,
      };
    },
  );
  const seen = new Set<string>();
  channels.forEach((ch, i) => {
    if (seen.has(ch.name))
      throw new InputError(
        `Invalid config ${at(`channels[${i}].name`)}: "${
          ch.name
        }" names another channel too`,
      );
    seen.add(ch.name);
  });
  const intervalText = c?.getOptionalString('checkInterval') ?? '30s';
  const m = /^(\d+)(s|m)$/.exec(intervalText);
  const interval = m ? parseInt(m[1], 10) * (m[2] === 'm' ? 60 : 1) : 0;
  if (interval < 1 || interval > 3600)
    throw new InputError(
      `Invalid config ${at(
        'checkInterval',
      )}: "${intervalText}" must be a duration from 1s to 60m, such as "30s" or "2m"`,
    );
  const attempts = c?.getOptionalNumber('deliveryAttempts') ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10)
    throw new InputError(
      `Invalid config ${at(
        'deliveryAttempts',
      )}: must be a whole number from 1 to 10`,
    );
  return {
    channels,
    checkIntervalSeconds: interval,
    deliveryAttempts: attempts,
  };
}
