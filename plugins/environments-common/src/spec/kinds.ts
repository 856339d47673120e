/*
 * What each kind of service needs and allows, checked after a request is merged with its
 * service definition. One entry per kind; adding a kind adds an entry (and a driver in the
 * backend's workloads/).
 */
import type { WorkloadKind } from './schema';

/** The merged settings a kind's rules look at. */
export interface KindCheckInput {
  ports: unknown[];
  schedule?: string;
  ingress?: unknown;
  volumes: Array<{ type: string }>;
  /** Versions beside the primary one (gray releases). */
  versions?: unknown[];
  autoscaling?: unknown;
}

/** A rule's finding: the field it is about and what is wrong. */
export interface KindProblem {
  field: string;
  message: string;
}

interface KindRules {
  /** Needs at least one port: it is reached over the network. */
  ports: boolean;
  /** Runs on a schedule, and only it has one. */
  schedule: boolean;
  /** Can be exposed through an Ingress. */
  ingress: boolean;
  /** Can keep persistent volumes (its pods live long enough to own a claim). */
  persistent: boolean;
  /** Can run several versions side by side, routed by header and weight (releases.ts). */
  releases: boolean;
  /** Can scale with load through an HPA. */
  autoscaling: boolean;
}

export const KIND_RULES: Record<WorkloadKind, KindRules> = {
  http: {
    ports: true,
    schedule: false,
    ingress: true,
    persistent: true,
    releases: true,
    autoscaling: true,
  },
  socket: {
    ports: true,
    schedule: false,
    ingress: true,
    persistent: true,
    releases: true,
    autoscaling: false,
  },
  backend: {
    ports: false,
    schedule: false,
    ingress: false,
    persistent: true,
    releases: true,
    autoscaling: false,
  },
  cron: {
    ports: false,
    schedule: true,
    ingress: false,
    persistent: false,
    releases: false,
    autoscaling: false,
  },
  job: {
    ports: false,
    schedule: false,
    ingress: false,
    persistent: false,
    releases: false,
    autoscaling: false,
  },
  // An island's ports are named in island.ports; their numbers come from the cluster's range.
  island: {
    ports: false,
    schedule: false,
    ingress: false,
    persistent: false,
    releases: false,
    autoscaling: false,
  },
};

const kindsWhere = (rule: keyof KindRules) =>
  (Object.keys(KIND_RULES) as WorkloadKind[]).filter(k => KIND_RULES[k][rule]);

const list = (kinds: string[]) =>
  kinds.length > 1
    ? `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}`
    : kinds[0];

/** The problems of one merged service for its kind, by field. */
export function checkKind(
  kind: WorkloadKind,
  svc: KindCheckInput,
  requestedSchedule: boolean,
): KindProblem[] {
  const rules = KIND_RULES[kind];
  const out: KindProblem[] = [];
  if (rules.ports && svc.ports.length === 0)
    out.push({
      field: 'ports',
      message: `is required for a ${kind} service (none in the request or the definition)`,
    });
  if (rules.schedule && !svc.schedule)
    out.push({
      field: 'schedule',
      message: `is required for a ${kind} service`,
    });
  if (!rules.schedule && requestedSchedule)
    out.push({
      field: 'schedule',
      message: `is only for ${list(kindsWhere('schedule'))} services`,
    });
  if (!rules.ingress && svc.ingress)
    out.push({
      field: 'ingress',
      message: `is only for ${list(kindsWhere('ingress'))} services`,
    });
  if (!rules.releases && svc.versions?.length)
    out.push({
      field: 'versions',
      message: `are only for ${list(
        kindsWhere('releases'),
      )} services: a ${kind} service runs one version`,
    });
  if (!rules.autoscaling && svc.autoscaling)
    out.push({
      field: 'autoscaling',
      message: `is only for ${list(kindsWhere('autoscaling'))} services`,
    });
  if (!rules.persistent) {
    svc.volumes.forEach((v, i) => {
      if (v.type === 'persistent')
        out.push({
          field: `volumes[${i}].type`,
          message: `"persistent" is only for ${list(
            kindsWhere('persistent'),
          )} services; a ${kind} service can mount "code" or "scratch" volumes`,
        });
    });
  }
  return out;
}
