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

export interface ClusterSettings {
  name: string;
  url: string;
  serviceAccountToken: string;
  caData?: string;
  skipTLSVerify?: boolean;
}

export interface PurposeSettings {
  defaultTtlSeconds?: number;
  maxTtlSeconds?: number;
  sizing: Sizing;
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
  reconcile: {
    /** Every environment is compared with the cluster this often, whatever the watch saw. */
    resyncMs: number;
  };
  /** How often the TTL task looks for expired environments. */
  expiryCheckSeconds: number;
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
  }
> = {
  feature: {
    ttl: '3d',
    maxTtl: '14d',
    cpu: '8',
    memory: '16Gi',
    pods: 50,
    storage: '100Gi',
  },
  sandbox: {
    ttl: '1d',
    maxTtl: '7d',
    cpu: '4',
    memory: '8Gi',
    pods: 20,
    storage: '50Gi',
  },
  perf: {
    ttl: '2d',
    maxTtl: '7d',
    cpu: '32',
    memory: '64Gi',
    pods: 200,
    storage: '500Gi',
  },
  integration: { cpu: '16', memory: '32Gi', pods: 100, storage: '200Gi' },
};

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
    purposes[p] = {
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
  const webhook = env?.getOptionalConfig('registrars.webhook');
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
  return {
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
      leaseMs: (q?.getOptionalNumber('leaseSeconds') ?? 60) * 1000,
      maxAttempts: q?.getOptionalNumber('maxAttempts') ?? 5,
    },
    reconcile: { resyncMs: (resync ?? 300) * 1000 },
    expiryCheckSeconds,
    webhook: webhook
      ? {
          url: webhook.getString('url'),
          token: webhook.getOptionalString('token'),
        }
      : undefined,
  };
}
