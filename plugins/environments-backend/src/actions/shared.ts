/*
 * What every environment action shares: its dependencies, the summary of an environment it
 * answers with, and the same audit events and permission checks as the REST API.
 */
import type {
  AuditorService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { JsonObject } from '@backstage/types';
import type { z as zod } from 'zod/v3';
import {
  Environment,
  environmentUpdatePermission,
  environmentUrl,
} from '@archipelago/plugin-environments-common';
import { ValidationError } from '../errors';
import type { Access } from '../service/access';
import type { EnvironmentsService } from '../service/EnvironmentsService';

export interface ActionDeps {
  service: EnvironmentsService;
  access: Access;
  auditor: AuditorService;
  /** The portal's base URL (app.baseUrl), for links to environment pages. */
  appBaseUrl: string;
}

/** The zod that the actions registry hands to schema factories (zod's v3 API). */
export type Zod = typeof zod;

/** An environment's name, as every action that acts on one takes it. */
export const nameInput = (z: Zod) =>
  z
    .string()
    .describe(
      'The environment name (at most 40 lower-case letters, digits and dashes), e.g. feature-login or jap-kouzan',
    );

/** The operation an action queued, as agents see it. */
export const operationOutput = (z: Zod) =>
  z.object({
    id: z.string(),
    type: z.string(),
    status: z.string().describe('pending, running, succeeded or failed'),
    error: z.string().optional(),
  });

/** What an action says about one environment: enough to decide the next step. */
export const summaryOutput = (z: Zod) =>
  z.object({
    name: z.string(),
    owner: z.string(),
    purpose: z.string(),
    cluster: z.string(),
    namespace: z.string(),
    branch: z.string().optional(),
    base: z.string().optional(),
    revision: z.number(),
    phase: z
      .string()
      .describe(
        'Creating, Ready, Degraded, Stopped, Failed, Destroying, Expired or Destroyed',
      ),
    reasons: z.array(z.string()).describe('Why it is not Ready, if it is not'),
    services: z.array(
      z.object({
        name: z.string(),
        kind: z.string(),
        version: z.string(),
        health: z.string(),
        readyReplicas: z.number(),
        desiredReplicas: z.number(),
      }),
    ),
    expiresAt: z.string().optional(),
    lastOperation: operationOutput(z).optional(),
    url: z.string().describe("The environment's page in the portal"),
  });

export type Summary = zod.infer<ReturnType<typeof summaryOutput>>;
export type OperationSummary = zod.infer<ReturnType<typeof operationOutput>>;

export function operationSummary(op: {
  id: string;
  type: string;
  status: string;
  error?: string | null;
}): OperationSummary {
  return {
    id: op.id,
    type: op.type,
    status: op.status,
    ...(op.error ? { error: op.error } : {}),
  };
}

export function summaryOf(env: Environment, appBaseUrl: string): Summary {
  return {
    name: env.name,
    owner: env.owner,
    purpose: env.purpose,
    cluster: env.cluster,
    namespace: env.namespace,
    ...(env.spec.branch ? { branch: env.spec.branch } : {}),
    ...(env.base ? { base: env.base } : {}),
    revision: env.revision,
    phase: env.status.phase,
    reasons: env.status.reasons,
    services: env.status.services.map(s => ({
      name: s.name,
      kind: s.kind,
      version: s.version,
      health: s.health,
      readyReplicas: s.readyReplicas,
      desiredReplicas: s.desiredReplicas,
    })),
    ...(env.expiresAt ? { expiresAt: env.expiresAt } : {}),
    ...(env.lastOperation
      ? { lastOperation: operationSummary(env.lastOperation) }
      : {}),
    url: environmentUrl(appBaseUrl, env.name),
  };
}

/**
 * Runs a change through the auditor under the same event ids as the REST API, naming the
 * actor (an action has no HTTP request of its own to name it) and that it came as an action.
 */
export async function audited<T>(
  deps: ActionDeps,
  credentials: BackstageCredentials,
  eventId: string,
  meta: JsonObject,
  fn: () => Promise<T>,
): Promise<T> {
  const event = await deps.auditor.createEvent({
    eventId,
    severityLevel: 'medium',
    meta: { ...meta, actor: deps.access.actor(credentials), via: 'action' },
  });
  try {
    const result = await fn();
    await event.success();
    return result;
  } catch (error) {
    await event.fail({ error: error as Error });
    throw error;
  }
}

/**
 * Queues an operation on a live environment, as POST /environments/{name}/operations does:
 * an unknown environment is NotFound before any permission is asked, then the update
 * permission, then the audited request; it answers with the operation.
 */
export async function queueOperation(
  deps: ActionDeps,
  credentials: BackstageCredentials,
  name: string,
  request: JsonObject,
): Promise<OperationSummary> {
  await deps.service.live(name);
  await deps.access.authorize(credentials, environmentUpdatePermission, name);
  const op = await audited(
    deps,
    credentials,
    'environment-operation',
    { name, type: String(request.type ?? '') },
    () =>
      deps.service.requestOperation(
        name,
        request,
        deps.access.actor(credentials),
      ),
  );
  return operationSummary(op);
}

/**
 * Checks a value against its allowed ones in the action, not in the registry's schema: the
 * registry refuses a schema mismatch with a message that names no field, and agents (and
 * people) need to know which field to fix.
 */
export function oneOf<T extends string>(
  field: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(
    `${field}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(
      value,
    )})`,
  );
}

/** Our validation errors name every field; the registry passes on only the message. */
export function fieldsInMessage(error: unknown): never {
  if (error instanceof ValidationError) throw new InputError(error.message);
  throw error;
}

/**
 * An environment spec as an agent writes it: the fields most environments need, described,
 * and any other field of the spec (docs/environments.md) passed through to the same
 * validation as the REST API's, whose refusals name every field.
 */
export const specInput = (z: Zod) =>
  z
    .object({
      owner: z
        .string()
        .describe(
          'The owning group or user, e.g. group:default/backend (you, or one of your groups)',
        ),
      purpose: z
        .string()
        .describe('feature, integration, perf or sandbox: sets quotas and TTL'),
      branch: z
        .string()
        .optional()
        .describe(
          'The git branch it runs; names the environment when name is left out',
        ),
      title: z.string().optional(),
      ttl: z
        .string()
        .optional()
        .describe('How long until it is reclaimed, e.g. 8h, 3d'),
      base: z
        .string()
        .optional()
        .describe(
          'An environment to fall back to for services this one does not run, e.g. integration',
        ),
      cluster: z.string().optional(),
      services: z
        .array(
          z
            .object({
              name: z.string().describe('The service name, e.g. game'),
              component: z
                .string()
                .optional()
                .describe(
                  'The catalog component it comes from (component:default/<name> by default)',
                ),
              version: z.string().optional().describe('e.g. 20210422'),
              replicas: z.number().optional(),
            })
            .passthrough(),
        )
        .optional(),
    })
    .passthrough();
