/*
 * Drift: where what the cluster holds (the watch cache) differs from what the environment's
 * desired state renders to. Pure. The same check backs the round-trip test: after an apply,
 * every rendered field must be present in the stored object with the same value.
 */
import { REVISION_LABEL } from '@archipelago/plugin-environments-common';
import { resourceOf } from '../cluster/resources';
import { foreignEntries, foreignFields } from '../cluster/foreignFields';
import { manifestKey } from '../render/common';
import {
  CACHED_RESOURCES,
  NamespaceSnapshot,
  observedObject,
} from '../cluster/WatchCache';
import type { Manifest } from '../render/types';

const brief = (v: unknown) => {
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** Paths of `want` that `have` lacks or holds with another value ("spec.replicas: 1 ≠ 3"). */
export function differences(
  want: unknown,
  have: unknown,
  path = '',
  out: string[] = [],
): string[] {
  if (want === undefined) return out;
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) {
      out.push(
        `${path}: ${want.length} item(s) wanted, ${
          Array.isArray(have) ? have.length : 'none'
        } found`,
      );
      return out;
    }
    want.forEach((w, i) => differences(w, have[i], `${path}[${i}]`, out));
    return out;
  }
  if (want !== null && typeof want === 'object') {
    if (have === null || typeof have !== 'object' || Array.isArray(have)) {
      out.push(`${path}: missing`);
      return out;
    }
    for (const [k, v] of Object.entries(want)) {
      differences(v, (have as any)[k], path ? `${path}.${k}` : k, out);
    }
    return out;
  }
  // Scalars: the API server keeps our JSON types; compare as text to allow int-or-string.
  if (have === undefined) out.push(`${path}: missing`);
  else if (String(want) !== String(have))
    out.push(`${path}: ${brief(want)} wanted, ${brief(have)} found`);
  return out;
}

const CACHED = new Set(CACHED_RESOURCES);

/**
 * What differs between the desired objects and the cached ones, one line per object: a
 * deleted object, a workload scaled by hand, a field someone edited. Objects of resources
 * the cache does not watch are not judged.
 */
export function detectDrift(
  desired: Manifest[],
  snapshot: NamespaceSnapshot,
  /** Objects created once and never patched (Jobs): only their deletion is drift. */
  createOnly: Set<string> = new Set(),
): string[] {
  const drift: string[] = [];
  for (const m of desired) {
    const r = resourceOf(m);
    if (!r || !CACHED.has(r.name)) continue;
    const seen = observedObject(snapshot, m);
    const what = `${m.kind}/${m.metadata.name}`;
    if (!seen) {
      drift.push(`${what} was deleted`);
      continue;
    }
    if (createOnly.has(manifestKey(m))) continue;
    const { metadata, apiVersion: _a, kind: _k, ...body } = m;
    // Which revision last wrote an object is bookkeeping, not state: objects created once
    // (Jobs) keep the revision that created them.
    const { [REVISION_LABEL]: _r, ...labels } = metadata.labels;
    const diff = [
      ...differences(labels, seen.metadata?.labels, 'metadata.labels'),
      ...differences(body, seen),
    ];
    // Fields someone else added that we never render (an env var, a nodeSelector, a label).
    const added = foreignFields(seen, m).filter(f => !f.rendered);
    if (added.length) {
      const who = [...new Set(foreignEntries(seen).map(e => e.manager))];
      diff.push(...added.map(f => `${f.path}: added by ${who.join(', ')}`));
    }
    // A Secret's drift names its paths only: values never reach an operation's params.
    const shown =
      m.kind === 'Secret' ? [...new Set(diff.map(d => d.split(':')[0]))] : diff;
    if (shown.length)
      drift.push(
        `${what} was changed (${shown.slice(0, 3).join('; ')}${
          shown.length > 3 ? `; ${shown.length - 3} more` : ''
        })`,
      );
  }
  return drift;
}
