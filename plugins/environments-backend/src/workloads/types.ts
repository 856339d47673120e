/*
 * A workload driver holds everything Archipelago knows about one kind of service: how it
 * renders, what it asks the cluster for, how its health reads, what it registers, which
 * Kubernetes resources it owns and how it updates. Adding a kind adds a driver file and one
 * line in ./index.ts.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type {
  RegistryEntry,
  ResolvedService,
  ServiceHealth,
  WorkloadKind,
} from '@archipelago/plugin-environments-common';
import type { ResourceName } from '../cluster/resources';
import type { NamespaceSnapshot } from '../cluster/WatchCache';
import type { Manifest, RenderInput } from '../render/types';

/** What a service's running pods ask of the cluster. */
export interface Requests {
  pods: number;
  cpuMillis: number;
  memoryBytes: number;
}

/** A service's health as one driver reads it from the objects it owns. */
export interface ObservedHealth {
  desiredReplicas: number;
  readyReplicas: number;
  health: ServiceHealth;
  reasons: string[];
}

export interface HealthContext {
  snapshot: NamespaceSnapshot;
  /** The service's live pods (not terminating). */
  pods: KubernetesObject[];
  /** "pod: reason" for each of those pods that is unhealthy. */
  podReasons: string[];
  /** An operation is under way: pods that are merely rolling out count as progressing. */
  operationRunning: boolean;
}

export type ObservedRegistryEntry = Omit<
  RegistryEntry,
  'registeredAt' | 'updatedAt'
> & { uid?: string };

export interface WorkloadDriver {
  /** The spec kinds this driver runs. */
  readonly kinds: readonly WorkloadKind[];
  /** The resource whose objects stand for a service: its health is read from them. */
  readonly workload: ResourceName;
  /** Every resource the driver creates, for the watch cache and prune. */
  readonly owns: readonly ResourceName[];
  /**
   * in-place: a change is applied to the same objects.
   * replace: the workload object is immutable once created; a change renders a new name and
   *   the old object is pruned. Existing objects are never patched.
   */
  readonly update: 'in-place' | 'replace';
  /**
   * Resources of its own objects that are created once and never patched, though the driver
   * updates its workload object in place (an island's Pods).
   */
  readonly createOnce?: readonly ResourceName[];
  /** Whether its services get a stable address (a Service) in discovery. */
  readonly addressable: boolean;
  /** Renders one service to its manifests. Pure. */
  render(svc: ResolvedService, input: RenderInput): Manifest[];
  /** What the service's pods request while it runs as the input says (zero when stopped). */
  requests(svc: ResolvedService, input: RenderInput): Requests;
  /** Whether an observed object of the workload resource is a service of this driver. */
  isService(obj: KubernetesObject): boolean;
  /** The service's health from its workload object and pods. */
  health(workload: any, ctx: HealthContext): ObservedHealth;
  /** The registry entries of the service's pods, as observed now. */
  registry(
    environment: string,
    service: string,
    pods: KubernetesObject[],
  ): ObservedRegistryEntry[];
}
