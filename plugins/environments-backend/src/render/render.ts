/*
 * Rendering is pure: an environment's spec, its resolved services and the cluster's settings go
 * in; Kubernetes manifests come out. No I/O happens here. The namespace-level objects come from
 * ./namespace, each service's from its workload driver, and discovery from ./discovery.
 */
import type { ResourceName } from '../cluster/resources';
import { DRIVERS, DRIVER_RESOURCES, driverFor } from '../workloads';
import { DISCOVERY_RESOURCES, renderDiscovery } from './discovery';
import { NAMESPACE_RESOURCES, renderNamespace } from './namespace';
import type { Manifest, RenderInput } from './types';

/** Renders every object of an environment, in apply order. */
export function renderEnvironment(input: RenderInput): Manifest[] {
  const services = input.services.flatMap(svc =>
    driverFor(svc.kind).render(svc, input),
  );
  const addressable = input.services
    .filter(svc => driverFor(svc.kind).addressable)
    .map(svc => svc.name);
  return [
    ...renderNamespace(input),
    ...services,
    ...renderDiscovery(input, addressable),
  ];
}

/**
 * Every namespaced resource an environment's objects can be of, in the order prune deletes
 * them: workloads first, then what they use.
 */
export const ENVIRONMENT_RESOURCES: readonly ResourceName[] = (() => {
  const all = new Set<ResourceName>([
    ...DRIVERS.map(d => d.workload),
    ...DRIVER_RESOURCES,
    ...DISCOVERY_RESOURCES,
    ...NAMESPACE_RESOURCES,
  ]);
  return [...all];
})();

export * from './types';
export {
  environmentLabels,
  manifestKey,
  selectorLabels,
  shortHash,
} from './common';
