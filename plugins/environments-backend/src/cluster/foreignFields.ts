/*
 * Fields someone else wrote on an object we own (kubectl edit, set, label, scale), read from
 * its managedFields. A forced server-side apply takes back the fields we render, but it leaves
 * fields we never render: an added env var, a nodeSelector, a label. This module finds those
 * and turns them into JSON Patch removals, so that a repair leaves the object as rendered.
 * Pure: live object and manifest in, paths and patch operations out.
 */
import type { KubernetesObject } from '@kubernetes/client-node';

export const FIELD_MANAGER = 'archipelago';

/** Writers that are the cluster's own (status, defaults, bookkeeping), not a person's edit. */
const SYSTEM_MANAGERS = [
  'kube-controller-manager',
  'kube-scheduler',
  'kube-apiserver',
  'kubelet',
];

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, any>;
}

/**
 * The managedFields entries of writers other than our server-side apply and the cluster
 * itself. Our own repair patches (Update, not Apply) count as foreign too: a field they leave
 * that a later revision no longer renders is found and removed like anyone else's.
 */
export function foreignEntries(obj: KubernetesObject): ManagedFieldsEntry[] {
  return ((obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).filter(
    m =>
      !(m.manager === FIELD_MANAGER && m.operation === 'Apply') &&
      m.subresource !== 'status' &&
      !SYSTEM_MANAGERS.some(s => m.manager?.startsWith(s)),
  );
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The index of the list item a fieldsV1 key ("k:{...}", "v:...", "i:3") stands for. */
function itemIndex(list: unknown[], key: string): number {
  if (key.startsWith('i:')) return Number(key.slice(2));
  const value = JSON.parse(key.slice(2));
  if (key.startsWith('v:'))
    return list.findIndex(v => JSON.stringify(v) === JSON.stringify(value));
  return list.findIndex(
    item =>
      item !== null &&
      typeof item === 'object' &&
      Object.entries(value).every(
        ([k, v]) => String((item as any)[k]) === String(v),
      ),
  );
}

export interface ForeignField {
  /** JSON Pointer into the live object. */
  pointer: string;
  /** For an item of a list: the pointer of the list, and the manifest's value of it. */
  list?: { pointer: string; rendered: unknown };
  /** Readable path ("spec.template.spec.containers[0].env[6]"). */
  path: string;
  /** Whether the manifest renders this field too (then a forced apply takes it back). */
  rendered: boolean;
}

/**
 * The fields of `live` that other writers own, each marked with whether `manifest` renders it.
 * A field owned as a whole (".", or a leaf) is reported once, not its children.
 */
export function foreignFields(
  live: KubernetesObject,
  manifest: Record<string, unknown>,
): ForeignField[] {
  const out = new Map<string, ForeignField>();
  const walk = (
    tree: Record<string, any>,
    have: unknown,
    want: unknown,
    pointer: string,
    path: string,
  ) => {
    for (const [key, sub] of Object.entries(tree)) {
      if (key === '.') continue;
      let childHave: unknown;
      let childWant: unknown;
      let childPointer: string;
      let childPath: string;
      let list: ForeignField['list'];
      if (key.startsWith('f:')) {
        const name = key.slice(2);
        childHave = (have as any)?.[name];
        childWant = (want as any)?.[name];
        childPointer = `${pointer}/${escape(name)}`;
        childPath = path ? `${path}.${name}` : name;
      } else {
        if (!Array.isArray(have)) continue;
        const i = itemIndex(have, key);
        if (i < 0) continue;
        childHave = have[i];
        const j = Array.isArray(want) ? itemIndex(want, key) : -1;
        childWant = j >= 0 ? (want as unknown[])[j] : undefined;
        childPointer = `${pointer}/${i}`;
        childPath = `${path}[${i}]`;
        if (Array.isArray(want)) list = { pointer, rendered: want };
      }
      if (childHave === undefined) continue;
      const whole = !sub || Object.keys(sub).length === 0 || '.' in sub;
      if (childWant === undefined) {
        // Not rendered at all: the whole field is someone else's.
        out.set(childPointer, {
          pointer: childPointer,
          path: childPath,
          rendered: false,
          list,
        });
      } else if (whole && Object.keys(sub ?? {}).length <= 1) {
        out.set(childPointer, {
          pointer: childPointer,
          path: childPath,
          rendered: true,
        });
      } else {
        walk(sub, childHave, childWant, childPointer, childPath);
      }
    }
  };
  for (const entry of foreignEntries(live))
    walk(entry.fieldsV1 ?? {}, live, manifest, '', '');
  return [...out.values()];
}

/**
 * A JSON Patch that takes out the foreign fields the manifest does not render, guarded by the
 * object's resourceVersion. A field is removed; an item of a list the manifest renders
 * (an env var, a Service port) is dealt with by setting the whole list to the manifest's
 * value, since removing the item alone can leave an invalid object (a Service without
 * ports). Undefined when there is nothing to take out.
 */
export function removalPatch(
  live: KubernetesObject,
  manifest: Record<string, unknown>,
): Array<Record<string, unknown>> | undefined {
  const ops = new Map<string, Record<string, unknown>>();
  for (const f of foreignFields(live, manifest)) {
    if (f.rendered) continue;
    if (f.list)
      ops.set(f.list.pointer, {
        op: 'replace',
        path: f.list.pointer,
        value: f.list.rendered,
      });
    else ops.set(f.pointer, { op: 'remove', path: f.pointer });
  }
  const paths = [...ops.keys()]
    // A field inside one already taken out goes with it.
    .filter(p => ![...ops.keys()].some(o => o !== p && p.startsWith(`${o}/`)))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  if (!paths.length) return undefined;
  return [
    {
      op: 'test',
      path: '/metadata/resourceVersion',
      value: live.metadata?.resourceVersion,
    },
    ...paths.map(p => ops.get(p)!),
  ];
}
