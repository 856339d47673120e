/* Small pure helpers every renderer (namespace, discovery, the workload drivers) shares. */
import {
  COMPONENT_LABEL,
  ENVIRONMENT_LABEL,
  EnvironmentSpec,
  INSTANCE_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NAME_LABEL,
  PART_OF_LABEL,
  REVISION_LABEL,
  ResolvedService,
  SERVER_TYPE_LABEL,
  SERVICE_LABEL,
  VERSION_LABEL,
  VERSION_LABEL_K8S,
} from '@archipelago/plugin-environments-common';
import type { Manifest } from './types';

/** FNV-1a, hex: a short, stable digest for names and checksums. */
export function shortHash(input: string, length = 8): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let h2 = 0x9e3779b1;
  for (let i = input.length - 1; i >= 0; i--) {
    h2 ^= input.charCodeAt(i);
    h2 = Math.imul(h2, 0x85ebca6b) >>> 0;
  }
  return (
    h.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')
  ).slice(0, length);
}

/** The labels that mark an object as the environment's. They never change with revisions. */
export function ownershipLabels(spec: EnvironmentSpec): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [PART_OF_LABEL]: spec.name,
    [ENVIRONMENT_LABEL]: spec.name,
  };
}

/**
 * The labels on every object's own metadata: ownership plus the revision that last wrote it.
 * Never put these in a pod template: a new revision would then roll every service.
 */
export function environmentLabels(
  spec: EnvironmentSpec,
  revision: number,
): Record<string, string> {
  return { ...ownershipLabels(spec), [REVISION_LABEL]: String(revision) };
}

/**
 * `<environment>-<service>`, which can reach 81 characters: past 63 (a label value's limit) it
 * is cut and given a hash of the whole, so it stays unique.
 */
export function instanceLabel(environment: string, service: string): string {
  const full = `${environment}-${service}`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 54).replace(/[-_.]+$/, '')}-${shortHash(full)}`;
}

/** A service's identity labels: the same on its objects and its pods, revision-free. */
export function serviceIdentityLabels(
  spec: EnvironmentSpec,
  svc: ResolvedService,
): Record<string, string> {
  return {
    ...ownershipLabels(spec),
    [NAME_LABEL]: svc.name,
    [INSTANCE_LABEL]: instanceLabel(spec.name, svc.name),
    [VERSION_LABEL_K8S]: svc.version,
    [COMPONENT_LABEL]: svc.kind,
    [SERVICE_LABEL]: svc.name,
    [SERVER_TYPE_LABEL]: svc.kind,
    [VERSION_LABEL]: svc.version,
  };
}

/** The labels that select a service's pods. They never change across versions or revisions. */
export function selectorLabels(spec: EnvironmentSpec, service: string) {
  return { [ENVIRONMENT_LABEL]: spec.name, [SERVICE_LABEL]: service };
}

/** Drops undefined values (server-side apply treats explicit nulls as deletions). */
export function prune<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as any;
}

export function nonEmpty<T extends object>(o: T | undefined): T | undefined {
  return o && Object.keys(o).length ? o : undefined;
}

/** Object metadata in the environment's namespace. */
export function objectMeta(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations?: Record<string, string>,
): Manifest['metadata'] {
  return prune({ name, namespace, labels, annotations });
}

/** The identity of a manifest, for diffing and pruning. */
export const manifestKey = (m: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}) =>
  `${m.apiVersion}/${m.kind}/${m.metadata?.namespace ?? ''}/${
    m.metadata?.name
  }`;

/** Compares storage sizes like "512Mi" and "2Gi". */
export function compareSize(a: string, b: string): number {
  const units: Record<string, number> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
  const v = (s: string) => {
    const m = /^(\d+)(Mi|Gi|Ti)?$/.exec(s);
    return m ? parseInt(m[1], 10) * (units[m[2] ?? 'Mi'] ?? 1) : 0;
  };
  return v(a) - v(b);
}
