/*
 * Small, reusable field schemas. Every limit here mirrors a Kubernetes limit or a sizing
 * decision for minimal environments, and every message names what was expected.
 */
import { z } from 'zod';
import { parseEntityRef } from '@backstage/catalog-model';

/** Limits shared by the schema, the renderer and the docs. */
export const LIMITS = {
  environmentName: 40,
  serviceName: 40,
  services: 50,
  replicas: 20,
  ports: 10,
  envVars: 100,
  envValue: 32 * 1024,
  configFiles: 10,
  configBytes: 256 * 1024,
  volumes: 10,
  labels: 16,
  hostAliases: 20,
  nodeSelector: 10,
  commandArgs: 64,
  cpuMillis: 16_000,
  memoryBytes: 64 * 1024 ** 3,
  volumeBytes: 100 * 1024 ** 3,
  title: 100,
  ttlSeconds: 90 * 24 * 3600,
} as const;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
// An OCI image reference: [registry[:port]/]path[:tag][@digest]
const IMAGE_REF =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const IMAGE_REPOSITORY =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const environmentName = z
  .string()
  .min(1, 'must not be empty')
  .max(
    LIMITS.environmentName,
    `must be at most ${LIMITS.environmentName} characters, so it fits in a namespace name with its prefix`,
  )
  .regex(
    DNS1123_LABEL,
    'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

export const serviceName = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.serviceName, `must be at most ${LIMITS.serviceName} characters`)
  .regex(
    DNS1035_LABEL,
    'must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter',
  );

export const portName = z
  .string()
  .max(15, 'must be at most 15 characters')
  .regex(DNS1035_LABEL, 'must be a DNS-1035 label (e.g. "http", "game-ws")');

export const version = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    LABEL_VALUE,
    'must be letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  );

export const image = z
  .string()
  .max(255, 'must be at most 255 characters')
  .regex(
    IMAGE_REF,
    'must be an image reference such as "registry.local/studio/game:1.2.3"',
  );

export const imageRepository = z
  .string()
  .max(200, 'must be at most 200 characters')
  .regex(
    IMAGE_REPOSITORY,
    'must be an image repository without a tag, such as "registry.local/studio/game"',
  );

export const labelValue = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(
    LABEL_VALUE,
    'must be a label value: letters, digits, ".", "_" or "-"',
  );

export const labelKey = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(
    QUALIFIED_NAME,
    'must be a label key such as "team" or "studio.io/team"',
  )
  .refine(
    k =>
      !/^([a-z0-9.-]+\.)?(archipelago\.dev|kubernetes\.io|k8s\.io)\//.test(k),
    'is reserved (archipelago.dev/, kubernetes.io/ and k8s.io/ prefixes, such as pod-security.kubernetes.io/ or base.archipelago.dev/, are set by Archipelago and Kubernetes)',
  );

export const hostname = z
  .string()
  .regex(HOSTNAME, 'must be a lower-case DNS name such as "login.example.com"');

export const ipv4 = z.string().regex(IPV4, 'must be an IPv4 address');

export const envVarName = z
  .string()
  .max(253)
  .regex(
    ENV_VAR_NAME,
    'must be an environment variable name (letters, digits, "_", "-", ".")',
  );

/** Names the platform sets in every container (see docs/environments.md). */
export const BUILT_IN_ENV = [
  'SERVER_ID',
  'SERVER_TYPE',
  'VERSION',
  'POD_IP',
  'ENVIRONMENT',
  'SERVICE_NAME',
] as const;

/** An environment variable's value: text, with no NUL or other control characters but tab and newlines. */
export const envValue = z
  .string()
  .max(LIMITS.envValue)
  .refine(
    // eslint-disable-next-line no-control-regex
    v => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v),
    'must not contain NUL or control characters (tab and newlines are fine)',
  );

/** The name of a Kubernetes Secret (a DNS-1123 subdomain). */
export const secretName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a Secret name: lower-case letters, digits, "-" and "."',
  );

/** A key of a Kubernetes Secret. */
export const secretKey = z
  .string()
  .max(253)
  .regex(
    /^[-._a-zA-Z0-9]+$/,
    'must be a Secret key: letters, digits, "-", "_" and "."',
  );

/** An entity reference of one of the given kinds, in full or short form. */
export const entityRef = (kinds: string[], defaultKind?: string) =>
  z.string().superRefine((value, ctx) => {
    try {
      const ref = parseEntityRef(value, {
        defaultKind,
        defaultNamespace: 'default',
      });
      const part = /^[A-Za-z0-9]([-_.]?[A-Za-z0-9])*$/;
      if (
        ref.name.length > 63 ||
        !part.test(ref.name) ||
        ref.namespace.length > 63 ||
        !part.test(ref.namespace)
      ) {
        throw new Error('bad name');
      }
      if (!kinds.includes(ref.kind.toLocaleLowerCase('en-US'))) {
        ctx.addIssue({
          code: 'custom',
          message: `must refer to a ${kinds.join(' or ')} entity, not a ${
            ref.kind
          }`,
        });
      }
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `must be an entity reference such as "${kinds[0]}:default/name"`,
      });
    }
  });

/** Normalises an entity reference to "kind:namespace/name", lower-cased. */
export function normalizeEntityRef(
  value: string,
  defaultKind?: string,
): string {
  const ref = parseEntityRef(value, {
    defaultKind,
    defaultNamespace: 'default',
  });
  return `${ref.kind}:${ref.namespace}/${ref.name}`.toLocaleLowerCase('en-US');
}

const CPU = /^([0-9]+)(m?)$|^([0-9]*\.[0-9]{1,3})$/;
const MEMORY = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTORS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/** Parses a CPU quantity ("250m", "2", "0.5") to millicores, or undefined. */
export function parseCpu(q: string): number | undefined {
  const m = CPU.exec(q);
  if (!m) return undefined;
  if (m[3] !== undefined) return Math.round(parseFloat(m[3]) * 1000);
  return m[2] === 'm' ? parseInt(m[1], 10) : parseInt(m[1], 10) * 1000;
}

/** Parses a memory or storage quantity ("512Mi", "2Gi") to bytes, or undefined. */
export function parseMemory(q: string): number | undefined {
  const m = MEMORY.exec(q);
  if (!m) return undefined;
  return parseInt(m[1], 10) * MEMORY_FACTORS[m[2] ?? ''];
}

/**
 * A string that `parse` reads as a number from min to max, with one message for a string it
 * cannot read and another for a number out of range.
 */
function bounded(
  parse: (value: string) => number | undefined,
  invalid: string,
  range: { min: number; max: number; message: string },
) {
  return z.string().superRefine((value, ctx) => {
    const n = parse(value);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: invalid });
    } else if (n < range.min || n > range.max) {
      ctx.addIssue({ code: 'custom', message: range.message });
    }
  });
}

export const cpuQuantity = bounded(
  parseCpu,
  'must be a CPU quantity such as "250m" or "2"',
  {
    min: 1,
    max: LIMITS.cpuMillis,
    message: `must be between 1m and ${LIMITS.cpuMillis / 1000} CPUs`,
  },
);

export const memoryQuantity = bounded(
  parseMemory,
  'must be a memory quantity such as "512Mi" or "2Gi"',
  {
    min: 1024 ** 2,
    max: LIMITS.memoryBytes,
    message: 'must be between 1Mi and 64Gi',
  },
);

export const storageQuantity = bounded(
  parseMemory,
  'must be a storage size such as "10Gi"',
  {
    min: 1024 ** 2,
    max: LIMITS.volumeBytes,
    message: 'must be between 1Mi and 100Gi',
  },
);

const DURATION = /^(\d+)(m|h|d|w)$/;
const DURATION_SECONDS: Record<string, number> = {
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/** Parses a duration such as "30m", "8h", "3d" or "2w" to seconds, or undefined. */
export function parseDuration(value: string): number | undefined {
  const m = DURATION.exec(value);
  return m ? parseInt(m[1], 10) * DURATION_SECONDS[m[2]] : undefined;
}

export const duration = bounded(
  parseDuration,
  'must be a duration such as "30m", "8h", "3d" or "2w"',
  { min: 60, max: LIMITS.ttlSeconds, message: 'must be between 1m and 90d' },
);

/** How long an environment may go unused before it sleeps; "0m" never (docs/portal.md#sleep). */
export const sleepAfterDuration = bounded(
  parseDuration,
  'must be a whole number of minutes, hours, days or weeks such as "30m", "4h" or "1d" (at least 1m), or "0m" for never',
  { min: 0, max: LIMITS.ttlSeconds, message: 'must be at most 90d' },
);

/** A cron schedule of five fields. */
export const cronSchedule = z
  .string()
  .max(100)
  .regex(
    /^(@(yearly|annually|monthly|weekly|daily|hourly))$|^(\S+\s+){4}\S+$/,
    'must be a cron schedule of five fields, such as "*/5 * * * *"',
  );

export const absolutePath = z
  .string()
  .max(1024)
  .regex(/^\/[^\0]*$/, 'must be an absolute path')
  .refine(p => !p.split('/').includes('..'), 'must not contain ".."');
