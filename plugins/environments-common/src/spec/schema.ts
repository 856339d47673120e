/*
 * The environment spec: what a person (or a template) asks for. It is the complete form of
 * seed 000's environment description JSON, and it can be as short as that JSON, because each
 * service's details come from its service definition in the catalog.
 */
import { z } from 'zod';
import {
  LIMITS,
  absolutePath,
  cpuQuantity,
  cronSchedule,
  duration,
  sleepAfterDuration,
  entityRef,
  envValue,
  envVarName,
  secretKey,
  secretName,
  environmentName,
  hostname,
  image,
  imageRepository,
  ipv4,
  labelKey,
  labelValue,
  memoryQuantity,
  portName,
  serviceName,
  storageQuantity,
  version,
} from './primitives';
import { clockSchema, islandSettingsSchema } from './islands';
import { branchName, branchOfRef } from '../branches/branches';
import {
  RELEASE_LIMITS,
  autoscalingSchema,
  versionTrackSchema,
} from './releases';

/** How a service runs, after seed 003. */
export const WORKLOAD_KINDS = [
  'http',
  'socket',
  'backend',
  'cron',
  'job',
  /** Game-server islands (seed 002): bare Pods, each with its own id, host ports and clock. */
  'island',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const PURPOSES = ['feature', 'integration', 'perf', 'sandbox'] as const;
export type Purpose = (typeof PURPOSES)[number];

const port = z
  .object({
    name: portName,
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['TCP', 'UDP']).optional(),
  })
  .strict();

const probe = z
  .object({
    http: z
      .object({
        path: z.string().max(1024).regex(/^\//, 'must start with "/"'),
        port: z.union([z.number().int().min(1).max(65535), portName]),
      })
      .strict()
      .optional(),
    tcp: z
      .object({ port: z.union([z.number().int().min(1).max(65535), portName]) })
      .strict()
      .optional(),
    exec: z
      .object({
        command: z.array(z.string().max(1024)).min(1).max(LIMITS.commandArgs),
      })
      .strict()
      .optional(),
    initialDelaySeconds: z.number().int().min(0).max(600).optional(),
    periodSeconds: z.number().int().min(1).max(300).optional(),
    timeoutSeconds: z.number().int().min(1).max(120).optional(),
    failureThreshold: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const handlers = [p.http, p.tcp, p.exec].filter(Boolean).length;
    if (handlers !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'must have exactly one of http, tcp or exec',
      });
    }
  });

const resourceAmounts = z
  .object({ cpu: cpuQuantity.optional(), memory: memoryQuantity.optional() })
  .strict();

const resources = z
  .object({
    requests: resourceAmounts.optional(),
    limits: resourceAmounts.optional(),
  })
  .strict();

const volume = z
  .object({
    name: portName.describe('volume name'),
    mountPath: absolutePath.refine(
      p => p.replace(/\/+$/, '') !== '',
      'must not be "/": a volume there would hide the whole image',
    ),
    /**
     * persistent: a claim of its own (one per replica for socket and backend services).
     * code: a claim shared by every service of the environment that mounts a code volume of the
     *   same name, which CI fills with the service's code, so that a new build does not need a
     *   new image (seed 002). Mounted read-only unless readOnly is false.
     * scratch: an emptyDir.
     */
    type: z.enum(['persistent', 'code', 'scratch']),
    size: storageQuantity.optional(),
    readOnly: z.boolean().optional(),
  })
  .strict();

/**
 * A secret environment variable: a value Archipelago keeps apart from the spec (it is never
 * returned, and pods read it from the environment's Secret), or a key of a Kubernetes Secret
 * that already exists in the environment's namespace.
 */
const secretSource = z.union([
  z
    .object({ value: envValue.pipe(z.string().min(1, 'must not be empty')) })
    .strict(),
  z
    .object({
      secretKeyRef: z.object({ name: secretName, key: secretKey }).strict(),
    })
    .strict(),
]);

const secrets = z
  .record(envVarName, secretSource)
  .refine(
    e => Object.keys(e).length <= LIMITS.envVars,
    `must have at most ${LIMITS.envVars} variables`,
  );

const configFile = z
  .object({ path: absolutePath, content: z.string() })
  .strict();

const hostAlias = z
  .object({ ip: ipv4, hostnames: z.array(hostname).min(1).max(20) })
  .strict();

const ingress = z
  .object({
    host: hostname,
    path: z
      .string()
      .max(256)
      .regex(/^\//, 'must start with "/"')
      .regex(
        /^(\/[A-Za-z0-9._~-]+)*\/?$/,
        'must be a plain path: segments of letters, digits and . _ ~ -, no "//"',
      )
      .refine(
        p => !p.split('/').some(seg => seg === '.' || seg === '..'),
        'must not contain "." or ".." segments',
      )
      .optional(),
  })
  .strict();

/**
 * The settings a service definition provides and an environment request may override.
 * Everything is optional here; required values are checked after merging (resolveServices).
 */
export const serviceSettingsShape = {
  kind: z.enum(WORKLOAD_KINDS).optional(),
  replicas: z.number().int().min(0).max(LIMITS.replicas).optional(),
  ports: z.array(port).max(LIMITS.ports).optional(),
  env: z
    .record(envVarName, envValue)
    .refine(
      e => Object.keys(e).length <= LIMITS.envVars,
      `must have at most ${LIMITS.envVars} variables`,
    )
    .optional(),
  /** Secret environment variables (see secretSource); never returned by the API. */
  secrets: secrets.optional(),
  configFiles: z.array(configFile).max(LIMITS.configFiles).optional(),
  resources: resources.optional(),
  probes: z
    .object({ readiness: probe.optional(), liveness: probe.optional() })
    .strict()
    .optional(),
  dependsOn: z.array(serviceName).max(LIMITS.services).optional(),
  command: z.array(z.string().max(4096)).max(LIMITS.commandArgs).optional(),
  args: z.array(z.string().max(4096)).max(LIMITS.commandArgs).optional(),
  nodeSelector: z
    .record(labelKey.or(z.string().regex(/^[a-z0-9.\-/]+$/)), labelValue)
    .refine(
      s => Object.keys(s).length <= LIMITS.nodeSelector,
      `must have at most ${LIMITS.nodeSelector} entries`,
    )
    .optional(),
  hostAliases: z.array(hostAlias).max(LIMITS.hostAliases).optional(),
  volumes: z.array(volume).max(LIMITS.volumes).optional(),
  schedule: cronSchedule.optional(),
  ingress: ingress.optional(),
  /** For island services: their ports, command template, clock and count (see islands.ts). */
  island: islandSettingsSchema.optional(),
  /** For http services: an HPA per version scales the replicas (see releases.ts). */
  autoscaling: autoscalingSchema.optional(),
};

/**
 * A service definition, declared once by the service's owners next to the component in the
 * catalog (annotation archipelago.dev/service-definition, see docs/service-definitions.md).
 */
export const serviceDefinitionSchema = z
  .object({
    image: imageRepository,
    defaultVersion: version.optional(),
    ...serviceSettingsShape,
    // A definition lives in the catalog, which every user reads: it may name Secrets, never
    // hold secret values.
    secrets: z
      .record(
        envVarName,
        z
          .object({
            secretKeyRef: z
              .object({ name: secretName, key: secretKey })
              .strict(),
            value: z
              .never({
                error:
                  'is not allowed in a service definition, which every catalog reader sees: name a Kubernetes Secret (secretKeyRef), or give the value in the environment request',
              })
              .optional(),
          })
          .strict(),
      )
      .optional(),
    /**
     * How the service's containers may run. Only a service definition says this, never an
     * environment request; capabilities must also be allowed by the cluster's config.
     */
    security: z
      .object({
        /** The image runs as root: runAsNonRoot is left out. */
        runAsRoot: z.boolean().optional(),
        /** Linux capabilities added after dropping ALL, e.g. NET_ADMIN, SYS_TIME (seed 002). */
        capabilities: z
          .array(
            z
              .string()
              .regex(
                /^[A-Z][A-Z0-9_]{1,31}$/,
                'must be a capability name such as NET_ADMIN',
              ),
          )
          .max(16)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ServiceDefinition = z.infer<typeof serviceDefinitionSchema>;

/** One service in an environment request. */
export const serviceRequestSchema = z
  .object({
    name: serviceName,
    /** The catalog component the service comes from; defaults to component:default/<name>. */
    component: entityRef(['component'], 'component').optional(),
    version: version.optional(),
    /** A full image reference; overrides the definition's repository and the version. */
    image: image.optional(),
    ...serviceSettingsShape,
    /**
     * Whether env values and config files the nearest base environment holds for a service of
     * the same name are the defaults here (seed 001's multi-level configuration; default
     * true). This request's own values override them by name and by path.
     */
    inheritConfig: z.boolean().optional(),
    /**
     * Versions that run beside `version`, each with its own workload and Service, reached by
     * a Version header, a weight, or both (docs/releases.md). The release operations set it.
     */
    versions: z
      .array(versionTrackSchema)
      .max(
        RELEASE_LIMITS.versions,
        `must have at most ${RELEASE_LIMITS.versions} versions beside the primary one`,
      )
      .optional(),
  })
  .strict();
export type ServiceRequest = z.infer<typeof serviceRequestSchema>;

/** The environment spec, as stored in each revision. */
export const environmentSpecSchema = z
  .object({
    name: environmentName,
    title: z.string().max(LIMITS.title).optional(),
    owner: entityRef(['user', 'group'], 'group'),
    purpose: z.enum(PURPOSES),
    /**
     * A configured cluster, by its name as configured: Backstage allows any string (seed 000's
     * cluster is "Kouzan"), so only blanks and slashes are refused here; the service checks
     * that it is configured.
     */
    cluster: z
      .string()
      .max(63)
      // At least one character: the empty name is refused by the same message.
      .regex(/^[^\s/\\]+$/, 'must be the name of a configured cluster')
      .optional(),
    labels: z
      .record(labelKey, labelValue)
      .refine(
        l => Object.keys(l).length <= LIMITS.labels,
        `must have at most ${LIMITS.labels} labels`,
      )
      .optional(),
    base: environmentName.optional(),
    /**
     * The git branch the environment runs (seed 001). `refs/heads/` is dropped. A request with
     * a branch and no name is named by environmentNameForBranch; GET /environments?branch=
     * finds it.
     */
    branch: z
      .preprocess(v => (typeof v === 'string' ? branchOfRef(v) : v), branchName)
      .optional(),
    /** The clock of the environment's islands (real time when left out); islands may override it. */
    clock: clockSchema.optional(),
    ttl: duration.optional(),
    /**
     * Unused this long, the environment is stopped and marked asleep ("0m" never); instead of
     * its purpose's sleepAfter.
     */
    sleepAfter: sleepAfterDuration.optional(),
    expiresAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
      .optional(),
    services: z
      .array(serviceRequestSchema)
      .max(LIMITS.services, `must have at most ${LIMITS.services} services`)
      // An environment with a base may run nothing of its own (say, to try a base as is).
      .default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.ttl && spec.expiresAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: 'cannot be given together with ttl',
      });
    }
    if (spec.base && spec.base === spec.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['base'],
        message: 'cannot be the environment itself',
      });
    }
    if (spec.services.length === 0 && !spec.base) {
      ctx.addIssue({
        code: 'custom',
        path: ['services'],
        message:
          'must list at least one service (or name a base environment to fall back to)',
      });
    }
    const names = new Map<string, number>();
    spec.services.forEach((s, i) => {
      if (names.has(s.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'name'],
          message: `duplicates services[${names.get(s.name)}].name "${s.name}"`,
        });
      }
      names.set(s.name, i);
    });
    spec.services.forEach((s, i) => {
      (s.dependsOn ?? []).forEach((d, j) => {
        if (d === s.name) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'dependsOn', j],
            message: 'cannot be the service itself',
          });
        } else if (!names.has(d) && !spec.base) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'dependsOn', j],
            message: `"${d}" is not a service of this environment, and there is no base environment to fall back to`,
          });
        }
      });
    });
  });
export type EnvironmentSpec = z.infer<typeof environmentSpecSchema>;
