/*
 * The workload drivers, one per kind of service. Everything kind-specific lives in a driver;
 * the renderer, capacity, status, registry, watch cache and prune only loop over them.
 */
import type { WorkloadKind } from '@archipelago/plugin-environments-common';
import type { ResourceName } from '../cluster/resources';
import { cronDriver } from './cron';
import { httpDriver } from './http';
import { islandDriver } from './island';
import { jobDriver } from './job';
import { statefulDriver } from './stateful';
import type { WorkloadDriver } from './types';

export const DRIVERS: readonly WorkloadDriver[] = [
  httpDriver,
  statefulDriver,
  cronDriver,
  jobDriver,
  islandDriver,
];

const byKind = new Map<WorkloadKind, WorkloadDriver>(
  DRIVERS.flatMap(d => d.kinds.map(k => [k, d] as const)),
);

export function driverFor(kind: WorkloadKind): WorkloadDriver {
  const d = byKind.get(kind);
  if (!d) throw new Error(`No workload driver for kind "${kind}"`);
  return d;
}

/** Every resource some driver owns. */
export const DRIVER_RESOURCES: readonly ResourceName[] = [
  ...new Set(DRIVERS.flatMap(d => d.owns)),
];

export type { WorkloadDriver } from './types';
