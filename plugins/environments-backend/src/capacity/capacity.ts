/*
 * What a cluster offers and what its pods already request, from the capacity watch cache
 * (every node, every unfinished pod and every Service, reduced to what they offer, request
 * and hold, and the Service IP ranges). The check before an apply reads this; it never lists
 * the cluster.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseCpu, parseMemory } from '@archipelago/plugin-environments-common';

export interface Capacity {
  allocatable: { cpuMillis: number; memoryBytes: number; pods: number };
  requested: { cpuMillis: number; memoryBytes: number; pods: number };
  /**
   * The cluster's IPv4 Service IP ranges and how many of their addresses Services hold;
   * undefined where the API server serves no ServiceCIDRs (before Kubernetes 1.33).
   */
  serviceIPs?: { total: number; used: number; ranges: string[] };
}

/** Usable addresses of an IPv4 CIDR (network and broadcast excluded); 0 for IPv6 or junk. */
export function ipv4RangeSize(cidr: string): number {
  const m = /^(\d{1,3})(\.\d{1,3}){3}\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return 0;
  const prefix = Number(m[3]);
  if (prefix > 32) return 0;
  return Math.max(0, 2 ** (32 - prefix) - 2);
}

const isIPv4 = (ip: unknown) =>
  typeof ip === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);

/** The IPv4 Service IPs the cluster has, and those its Services hold. */
export function serviceIPsOf(
  services: KubernetesObject[],
  serviceCidrs: KubernetesObject[],
): Capacity['serviceIPs'] {
  const ranges = (serviceCidrs as any[]).flatMap(c =>
    ((c.spec?.cidrs ?? []) as string[]).filter(r => ipv4RangeSize(r) > 0),
  );
  if (!ranges.length) return undefined;
  const total = ranges.reduce((n, r) => n + ipv4RangeSize(r), 0);
  let used = 0;
  for (const s of services as any[]) {
    const ips: unknown[] = s.spec?.clusterIPs ?? [s.spec?.clusterIP];
    if (ips.some(isIPv4)) used++;
  }
  return { total, used, ranges };
}

/** Sums schedulable, Ready nodes' allocatable resources and unfinished pods' requests. */
export function capacityOf(
  nodes: KubernetesObject[],
  pods: KubernetesObject[],
  services: KubernetesObject[] = [],
  serviceCidrs: KubernetesObject[] = [],
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
  return {
    allocatable,
    requested,
    serviceIPs: serviceIPsOf(services, serviceCidrs),
  };
}
