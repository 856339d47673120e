/*
 * A version a service no longer wants keeps serving until the versions it wants are ready:
 * the reconciler leaves its objects out of the first prune and removes them after the wait
 * (step "retire"). This is how a socket server updates without cutting its players off: the
 * new version comes up beside the old one, the route sends new connections to it, and the
 * old version goes once the new one is ready. Pure.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';
import type { NamespaceSnapshot } from '../cluster/WatchCache';
import { RESOURCES, ResourceName } from '../cluster/resources';
import { manifestKey } from '../render/common';
import type { Manifest, RenderInput } from '../render/types';
import { driverFor } from '../workloads';

/** The resources of a version's own objects: its workload, Service and HPA. */
const VERSION_RESOURCES: readonly ResourceName[] = [
  'deployments',
  'statefulsets',
  'services',
  'horizontalpodautoscalers',
];

const asManifest = (name: ResourceName, o: KubernetesObject): Manifest =>
  ({
    ...o,
    apiVersion: RESOURCES[name].apiVersion,
    kind: RESOURCES[name].kind,
  } as Manifest);

/**
 * The objects of versions that running services are leaving: workloads of a service the input
 * runs (not stopped) that it no longer renders, with the Service and HPA of the same name.
 */
export function versionsLeaving(
  input: RenderInput,
  rendered: Manifest[],
  snapshot: NamespaceSnapshot,
): Manifest[] {
  const keys = new Set(rendered.map(manifestKey));
  const running = new Map(
    input.services
      .filter(s => !input.stopped.includes(s.name))
      .map(s => [s.name, driverFor(s.kind)]),
  );
  const names = new Set<string>();
  const out: Manifest[] = [];
  for (const [service, driver] of running) {
    if (driver.workload !== 'deployments' && driver.workload !== 'statefulsets')
      continue;
    for (const o of snapshot[driver.workload]) {
      if (o.metadata?.labels?.[SERVICE_LABEL] !== service) continue;
      const m = asManifest(driver.workload, o);
      if (keys.has(manifestKey(m)) || o.metadata?.deletionTimestamp) continue;
      out.push(m);
      names.add(`${service}/${o.metadata?.name}`);
    }
  }
  for (const r of VERSION_RESOURCES) {
    if (r === 'deployments' || r === 'statefulsets') continue;
    for (const o of snapshot[r]) {
      const id = `${o.metadata?.labels?.[SERVICE_LABEL]}/${o.metadata?.name}`;
      const m = asManifest(r, o);
      if (names.has(id) && !keys.has(manifestKey(m))) out.push(m);
    }
  }
  return out;
}
