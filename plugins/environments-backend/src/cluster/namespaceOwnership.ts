/*
 * Whose a namespace is. Archipelago never takes over a namespace it did not make, and never
 * deletes one: a namespace is an environment's only when it carries that environment's id.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ENVIRONMENT_ID_ANNOTATION,
  ENVIRONMENT_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
} from '@archipelago/plugin-environments-common';

export type NamespaceOwnership =
  /** It does not exist: ours to create. */
  | { owned: 'absent' }
  /** It carries this environment's id (or, made before ids existed, our labels and its name). */
  | { owned: 'ours'; uid?: string; terminating: boolean }
  /** Anything else: someone else's. */
  | { owned: 'theirs'; reason: string };

/** Decides whether an observed namespace (undefined: none) belongs to this environment. */
export function namespaceOwnership(
  ns: KubernetesObject | undefined,
  environment: { id: string; name: string; legacyNamespace?: boolean },
): NamespaceOwnership {
  if (!ns) return { owned: 'absent' };
  const labels = ns.metadata?.labels ?? {};
  const id = ns.metadata?.annotations?.[ENVIRONMENT_ID_ANNOTATION];
  const terminating = !!ns.metadata?.deletionTimestamp;
  const ours = { owned: 'ours' as const, uid: ns.metadata?.uid, terminating };
  if (id === environment.id) return ours;
  if (id)
    return {
      owned: 'theirs',
      reason: `it belongs to another environment (${ENVIRONMENT_ID_ANNOTATION} ${id})`,
    };
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE)
    return {
      owned: 'theirs',
      reason: `it was not made by Archipelago (no ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE} label)`,
    };
  if (labels[ENVIRONMENT_LABEL] !== environment.name)
    return {
      owned: 'theirs',
      reason: `it belongs to environment "${
        labels[ENVIRONMENT_LABEL] ?? '?'
      }" (${ENVIRONMENT_LABEL})`,
    };
  // Labels alone prove nothing (anyone who can make a namespace can label it). Only an
  // environment made before ids were recorded recognises its namespace by them; it is
  // annotated at its next apply.
  if (environment.legacyNamespace) return ours;
  return {
    owned: 'theirs',
    reason: `it carries Archipelago's labels but no ${ENVIRONMENT_ID_ANNOTATION} (made by hand, or for an environment that is gone)`,
  };
}
