/*
 * The base chain (seed 001): an environment, its base, that base's base, and so on. One walk
 * serves both the render input (which services fall back, and to where) and resolve (which
 * environment answers for a service). It stops at cycles and at a base that does not exist.
 *
 * Bases are followed by id, fixed when the dependant was created: an environment created
 * later under a destroyed base's name is a stranger, and never answers for its dependants.
 */
import type {
  EnvironmentRecord,
  EnvironmentStore,
} from '../store/EnvironmentStore';
import type { BaseConfigLookup } from '@archipelago/plugin-environments-common';
import type { Fallback } from '../render/types';
import { driverFor } from '../workloads';

export interface BaseInfo {
  id: string;
  name: string;
  namespace: string;
  baseId?: string;
  services: string[];
}

export interface BaseChain<T> {
  /** The bases, nearest first (the environment itself is not in it). */
  chain: T[];
  /** The id of a base in the chain that does not exist (or is destroyed). */
  missingBase?: string;
}

/** Walks the bases of `start`, loading each by id. */
export async function walkBases<T extends { id: string; baseId?: string }>(
  start: { id: string; baseId?: string },
  getBase: (id: string) => Promise<T | undefined>,
): Promise<BaseChain<T>> {
  const seen = new Set([start.id]);
  const chain: T[] = [];
  let next = start.baseId;
  while (next && !seen.has(next)) {
    seen.add(next);
    const base = await getBase(next);
    if (!base) return { chain, missingBase: next };
    chain.push(base);
    next = base.baseId;
  }
  return { chain };
}

/** Every service some base runs and this environment does not: answered by the nearest base that runs it. */
export function fallbacksFrom(own: string[], chain: BaseInfo[]): Fallback[] {
  const answered = new Set(own);
  const fallbacks: Fallback[] = [];
  for (const base of chain) {
    for (const s of base.services) {
      if (answered.has(s)) continue;
      answered.add(s);
      fallbacks.push({
        service: s,
        environment: base.name,
        namespace: base.namespace,
      });
    }
  }
  return fallbacks;
}

/** Walks the base chain and works out the fallbacks (pure but for getBase). */
export async function resolveFallbacks(
  start: { id: string; baseId?: string; services: string[] },
  getBase: (id: string) => Promise<BaseInfo | undefined>,
): Promise<{ fallbacks: Fallback[]; chain: BaseInfo[]; missingBase?: string }> {
  const { chain, missingBase } = await walkBases(start, getBase);
  return {
    fallbacks: fallbacksFrom(start.services, chain),
    chain,
    missingBase,
  };
}

/**
 * The services an environment answers for as a base: those with an address (a Service). A
 * base's cron or job services are runs, not something to call.
 */
export function addressableServices(e: EnvironmentRecord): string[] {
  const kinds = new Map((e.services ?? []).map(s => [s.name, s.kind] as const));
  return e.spec.services
    .filter(s => driverFor(kinds.get(s.name) ?? s.kind ?? 'http').addressable)
    .map(s => s.name);
}

const info = (e: EnvironmentRecord): BaseInfo => ({
  id: e.id,
  name: e.name,
  namespace: e.namespace,
  baseId: e.baseId,
  services: addressableServices(e),
});

/** The live bases of a stored environment, nearest first. */
export function liveBases(
  env: EnvironmentRecord,
  store: Pick<EnvironmentStore, 'getEnvironmentById'>,
): Promise<BaseChain<EnvironmentRecord>> {
  return walkBases(env, async id => {
    const b = await store.getEnvironmentById(id);
    return b && !b.destroyedAt ? b : undefined;
  });
}

/** The fallbacks of a stored environment, walking live bases in the store. */
export async function fallbacksOf(
  env: EnvironmentRecord,
  store: Pick<EnvironmentStore, 'getEnvironmentById'>,
) {
  const { chain, missingBase } = await liveBases(env, store);
  const bases = chain.map(info);
  return {
    fallbacks: fallbacksFrom(
      env.spec.services.map(s => s.name),
      bases,
    ),
    chain: bases,
    missingBase,
  };
}

/**
 * What the live bases of an environment hold for each service, for configuration that falls
 * back like services do (seed 001): the nearest base that runs a service of that name
 * answers, with the env values and config files its current revision pinned.
 */
export async function baseConfigOf(
  baseId: string | undefined,
  store: Pick<EnvironmentStore, 'getEnvironmentById'>,
): Promise<BaseConfigLookup | undefined> {
  if (!baseId) return undefined;
  const { chain } = await walkBases({ id: '', baseId }, async id => {
    const b = await store.getEnvironmentById(id);
    return b && !b.destroyedAt ? b : undefined;
  });
  return service => {
    for (const base of chain) {
      if (!base.spec.services.some(s => s.name === service)) continue;
      // A revision stored before services were pinned: nothing known to inherit.
      const svc = base.services?.find(s => s.name === service);
      return svc
        ? {
            environment: base.name,
            env: svc.env,
            configFiles: svc.configFiles,
            ...(svc.origins ? { origins: svc.origins } : {}),
          }
        : undefined;
    }
    return undefined;
  };
}
