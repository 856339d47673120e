import type {
  EnvironmentRecord,
  EnvironmentStore,
} from '../store/EnvironmentStore';
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

/** The fallbacks of a stored environment, walking live bases in the store. */
export function fallbacksOf(
  env: EnvironmentRecord,
  store: Pick<EnvironmentStore, 'getEnvironment'>,
) {
  return resolveFallbacks(
    {
      name: env.name,
      base: env.base,
      services: env.spec.services.map(s => s.name),
    },
    async name => {
      const b = await store.getEnvironment(name);
      return b && !b.destroyedAt
        ? {
            name: b.name,
            namespace: b.namespace,
            base: b.base,
            services: b.spec.services.map(s => s.name),
          }
        : undefined;
    },
  );
}
