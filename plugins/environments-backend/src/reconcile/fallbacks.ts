import type { Fallback } from '../render/render';

export interface BaseInfo {
  name: string;
  namespace: string;
  base?: string;
  services: string[];
}

/**
 * Walks the base chain (seed 001): every service some base runs and this environment does not
 * is answered by the nearest base that runs it. Stops at cycles and missing bases.
 */
export async function resolveFallbacks(
  start: { name: string; base?: string; services: string[] },
  getBase: (name: string) => Promise<BaseInfo | undefined>,
): Promise<{ fallbacks: Fallback[]; chain: BaseInfo[]; missingBase?: string }> {
  const seen = new Set([start.name]);
  const answered = new Set(start.services);
  const fallbacks: Fallback[] = [];
  const chain: BaseInfo[] = [];
  let next = start.base;
  while (next && !seen.has(next)) {
    seen.add(next);
    const base = await getBase(next);
    if (!base) return { fallbacks, chain, missingBase: next };
    chain.push(base);
    for (const s of base.services) {
      if (answered.has(s)) continue;
      answered.add(s);
      fallbacks.push({
        service: s,
        environment: base.name,
        namespace: base.namespace,
      });
    }
    next = base.base;
  }
  return { fallbacks, chain };
}
