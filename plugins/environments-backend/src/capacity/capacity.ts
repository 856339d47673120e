/*
 * What a cluster offers and what its pods already request, from the capacity watch cache
 * (every node, and every unfinished pod, reduced to what they offer and request). The check
 * before an apply reads this; it never lists the cluster.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseCpu, parseMemory } from '@archipelago/plugin-environments-common';

export interface Capacity {
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
  requested: { cpuMillis: number; memoryBytes: number; pods: number };
}

/** Sums schedulable, Ready nodes' allocatable resources and unfinished pods' requests. */
export function capacityOf(
  nodes: KubernetesObject[],
  pods: KubernetesObject[],
): Capacity {
  const allocatable = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
  for (const n of nodes as any[]) {
    if (n.spec?.unschedulable) continue;
    const ready = (n.status?.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    );
    if (!ready) continue;
    allocatable.cpuMillis +=
      parseCpu(String(n.status?.allocatable?.cpu ?? '0')) ?? 0;
    allocatable.memoryBytes +=
      parseMemory(String(n.status?.allocatable?.memory ?? '0')) ?? 0;
    allocatable.pods += parseInt(
      String(n.status?.allocatable?.pods ?? '0'),
      10,
    );
  }
  const requested = { cpuMillis: 0, memoryBytes: 0, pods: 0 };
  for (const p of pods as any[]) {
    const phase = p.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    requested.pods++;
    for (const c of p.spec?.containers ?? []) {
      requested.cpuMillis +=
        parseCpu(String(c.resources?.requests?.cpu ?? '0')) ?? 0;
      requested.memoryBytes +=
        parseMemory(String(c.resources?.requests?.memory ?? '0')) ?? 0;
    }
  }
  return { allocatable, requested };
}
