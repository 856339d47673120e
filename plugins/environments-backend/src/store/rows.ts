/* How rows are read back into records: the JSON columns parsed, dates as Dates. */
import type {
  EnvironmentSpec,
  RegistryEntry,
} from '@archipelago/plugin-environments-common';
import type { Knex } from 'knex';
import type { EnvironmentRecord, OperationRecord } from './EnvironmentStore';

/** SQLite has one writer and no row locks (knex warns on forUpdate there). */
export function isSqlite(db: Knex): boolean {
  const client = db.client as {
    dialect?: string;
    config?: { client?: unknown };
  };
  return /sqlite/i.test(String(client.dialect ?? client.config?.client ?? ''));
}

/** A row of `environments`. JSON columns are text; SQLite returns dates as numbers. */
export interface EnvironmentRow
  extends Pick<
    EnvironmentRecord,
    'id' | 'name' | 'cluster' | 'namespace' | 'owner' | 'purpose' | 'revision'
  > {
  base: string | null;
  base_id: string | null;
  legacy_namespace?: boolean | number | null;
  title: string | null;
  spec: string;
  services: string | null;
  stopped: string;
  restarted_at: string;
  created_by: string;
  created_at: Date | number | string;
  updated_at: Date | number | string;
  expires_at: Date | number | string | null;
  destroyed_at: Date | number | string | null;
  destroy_reason: string | null;
  clock_set_at?: Date | number | string | null;
  used_at?: Date | number | string | null;
  asleep_since?: Date | number | string | null;
  asleep_services?: string | null;
}

/** A row of `environment_operations`. */
export interface OperationRow {
  seq: number;
  id: string;
  environment_id: string;
  environment: string;
  cluster: string;
  type: OperationRecord['type'];
  status: OperationRecord['status'];
  requested_by: string;
  params: string;
  revision: number | null;
  steps: string;
  error: string | null;
  attempts: number;
  locked_by: string | null;
  locked_until: Date | number | string | null;
  not_before: Date | number | string | null;
  waiting: boolean | number;
  cancel_requested: boolean | number;
  created_at: Date | number | string;
  started_at: Date | number | string | null;
  finished_at: Date | number | string | null;
}

/** A row of `environment_registry`. */
export interface RegistryRow {
  environment: string;
  service: string;
  instance: string;
  version: string;
  address: string;
  ports: string;
  ready: boolean | number;
  node: string | null;
  island?: number | null;
  registered_at: Date | number | string;
  updated_at: Date | number | string;
}

export const toDate = (v: unknown): Date | undefined => {
  if (v === null || v === undefined) return undefined;
  return v instanceof Date ? v : new Date(v as any);
};
export const iso = (v: unknown) => toDate(v)?.toISOString();
export const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' ? JSON.parse(v) : (v as T) ?? fallback;

export function toEnvironment(r: EnvironmentRow): EnvironmentRecord {
  const record: EnvironmentRecord = {
    id: r.id,
    name: r.name,
    cluster: r.cluster,
    namespace: r.namespace,
    owner: r.owner,
    purpose: r.purpose,
    base: r.base ?? undefined,
    baseId: r.base_id ?? undefined,
    ...(r.legacy_namespace ? { legacyNamespace: true } : {}),
    title: r.title ?? undefined,
    spec: json(r.spec, {} as EnvironmentSpec),
    revision: r.revision,
    stopped: json(r.stopped, []),
    restartedAt: json(r.restarted_at, {}),
    createdBy: r.created_by,
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
    expiresAt: toDate(r.expires_at),
    destroyedAt: toDate(r.destroyed_at),
    destroyReason: r.destroy_reason ?? undefined,
    clockSetAt: toDate(r.clock_set_at),
    usedAt: toDate(r.used_at),
    ...(r.asleep_since
      ? {
          asleep: {
            since: toDate(r.asleep_since)!,
            services: json(r.asleep_services, [] as string[]),
          },
        }
      : {}),
  };
  // The pinned services are most of a row (their definitions), and most reads never look at
  // them: a list of a thousand environments derives statuses kept per snapshot. They are
  // parsed when first read.
  let services: EnvironmentRecord['services'];
  let parsed = false;
  return Object.defineProperty(record, 'services', {
    enumerable: true,
    configurable: true,
    get() {
      if (!parsed) {
        services = json(r.services, undefined);
        parsed = true;
      }
      return services;
    },
    set(value: EnvironmentRecord['services']) {
      services = value;
      parsed = true;
    },
  });
}

export function toOperation(r: OperationRow): OperationRecord {
  return {
    id: r.id,
    environmentId: r.environment_id,
    environment: r.environment,
    cluster: r.cluster,
    type: r.type,
    status: r.status,
    requestedBy: r.requested_by,
    params: json(r.params, {}),
    revision: r.revision ?? undefined,
    steps: json(r.steps, []),
    error: r.error ?? undefined,
    attempts: r.attempts,
    lockedBy: r.locked_by ?? undefined,
    waiting: !!r.waiting,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

export function toRegistryEntry(r: RegistryRow): RegistryEntry {
  return {
    environment: r.environment,
    service: r.service,
    instance: r.instance,
    version: r.version,
    address: r.address,
    ports: json(r.ports, []),
    ready: !!r.ready,
    node: r.node ?? undefined,
    ...(r.island !== null && r.island !== undefined
      ? { island: Number(r.island) }
      : {}),
    registeredAt: iso(r.registered_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}
