import { diffLines } from 'diff';
import { stringify } from 'yaml';

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

/** A spec as people read it: YAML with keys in a stable order. */
export function specYaml(spec: unknown): string {
  return stringify(spec, { sortMapEntries: true, lineWidth: 0 });
}

/** The line-by-line difference between two specs, in YAML. Pure. */
export function specDiff(from: unknown, to: unknown): DiffLine[] {
  const out: DiffLine[] = [];
  for (const part of diffLines(specYaml(from), specYaml(to))) {
    let kind: DiffLine['kind'] = 'same';
    if (part.added) kind = 'added';
    else if (part.removed) kind = 'removed';
    const lines = part.value.replace(/\n$/, '').split('\n');
    for (const text of lines) out.push({ kind, text });
  }
  return out;
}
