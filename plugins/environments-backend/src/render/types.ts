/*
 * What rendering takes and gives. Rendering is pure: an environment's spec, its resolved
 * services and the cluster's settings go in; Kubernetes manifests come out.
 */
import type { RoutingSettings } from '../config';
import type {
  Clock,
  EnvironmentSpec,
  ResolvedService,
} from '@archipelago/plugin-environments-common';

/** A Kubernetes object as rendered: apiVersion, kind and metadata are always set. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface Sizing {
  /** ResourceQuota hard limits for the namespace. */
  quota: {
    cpu: string;
    memory: string;
    pods: number;
    storage: string;
    claims: number;
  };
  /** LimitRange defaults for containers that set no resources. */
  defaultRequests: { cpu: string; memory: string };
  defaultLimits: { cpu: string; memory: string };
}

/** A service the environment does not run, answered by a base environment. */
export interface Fallback {
  service: string;
  environment: string;
  namespace: string;
}

/** One island of an island service, as the database holds it (see islands/IslandStore.ts). */
export interface RenderIsland {
  id: number;
  service: string;
  /** Host port by port name. */
  ports: Record<string, number>;
  desired: 'running' | 'stopped';
  /** Each start and restart is a new launch, so a new Pod. */
  launch: number;
  /** The last launch whose Pod was created. */
  launched: number;
  /** The clock in effect: the island's own, else the environment's, else the service's. */
  clock?: Clock;
}

export interface RenderInput {
  /** The environment's id: its namespace is annotated with it, and dependants select on it. */
  environmentId: string;
  spec: EnvironmentSpec;
  services: ResolvedService[];
  revision: number;
  namespace: string;
  sizing: Sizing;
  /** Services that are stopped: scaled to zero, CronJobs suspended. */
  stopped: string[];
  /** Per service, the time of the last restart request: changes roll the pods. */
  restartedAt: Record<string, string>;
  /** Services the base chain answers for, nearest base first (see bases/chain.ts). */
  fallbacks: Fallback[];
  /** Namespace of the base environment, allowed through the NetworkPolicy. */
  baseNamespace?: string;
  /** Name of the live base environment (none once it is destroyed). */
  baseName?: string;
  /** The id of every base in the chain, nearest first: the namespace is labelled with each. */
  bases?: string[];
  /** Namespace of the ingress controller, allowed through the NetworkPolicy. */
  ingressNamespace: string;
  /** Pod Security admission levels for the namespace (defaults: enforce baseline, warn restricted). */
  podSecurity?: { enforce: string; warn: string };
  /** CIDRs the pods may reach besides the environment, its bases and DNS. */
  egressCidrs?: string[];
  /** The environment's secret values by key of its Secret (see MANAGED_SECRET_NAME). */
  secretValues?: Record<string, string>;
  ingressClassName?: string;
  clusterDomain: string;
  /** The islands of the environment's island services that are not removed. */
  islands?: RenderIsland[];
  /** How the cluster routes a service's versions (default: the Gateway API, no Gateway). */
  routing?: RoutingSettings;
}
