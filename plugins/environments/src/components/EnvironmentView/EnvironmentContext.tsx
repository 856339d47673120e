import {
  ReactNode,
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Environment,
  EnvironmentLinkQuery,
  EnvironmentTab,
  environmentSignalChannel,
} from '@archipelago/plugin-environments-common';
import { tabPath } from '../../hooks/useEnvironmentLink';
import { EnvironmentsApi, environmentsApiRef } from '../../api';
import { useSignalGeneration } from '../../hooks/useSignalGeneration';
import { Live, useLive } from '../../hooks/useLive';
import {
  EnvironmentPermissions,
  useEnvironmentPermissions,
} from '../../hooks/useEnvironmentPermissions';

export interface EnvironmentContextValue extends Live<Environment> {
  name: string;
  /** Links to this view's tabs, where it is shown (its own page, or an entity's tab). */
  tabLink: (tab: EnvironmentTab, query?: EnvironmentLinkQuery) => string;
  /** Goes up on every change the backend signals for this environment. */
  generation: number;
  /** Whether changes arrive by themselves (signals). */
  live: boolean;
  /** Loads everything again now (after a mutation, before its signals arrive). */
  refresh: () => void;
  permissions: EnvironmentPermissions;
  /** The operation the user started from this page, followed until dismissed. */
  tracked?: string;
  track: (operationId: string | undefined) => void;
}

const Context = createContext<EnvironmentContextValue | undefined>(undefined);

/**
 * While an operation is pending or running, the view loads again after this long without a
 * signal. Signals are how changes arrive, but one sent while the signals socket was
 * (re)connecting is lost (Backstage's client gives a connect 1 s, then waits 5 s to retry):
 * the page must not stay on a half-done operation because of it.
 */
export const IN_FLIGHT_RELOAD_MS = 5000;

/**
 * Loads one environment and keeps it current: one signal subscription per page, shared by the
 * header and every tab, which load again when it fires.
 */
export function EnvironmentProvider(props: {
  name: string;
  /** The path the view's tabs are relative to. */
  basePath: string;
  children: ReactNode;
}) {
  const { name, basePath } = props;
  const api = useApi(environmentsApiRef);
  const { generation, live, bump } = useSignalGeneration(
    environmentSignalChannel(name),
  );
  const environment = useLive(() => api.getEnvironment(name), name, generation);
  const permissions = useEnvironmentPermissions(name);
  const [tracked, track] = useState<string>();
  const inFlight = ['pending', 'running'].includes(
    environment.value?.lastOperation?.status ?? '',
  );
  useEffect(() => {
    if (!inFlight) return undefined;
    const timer = setTimeout(bump, IN_FLIGHT_RELOAD_MS);
    return () => clearTimeout(timer);
  }, [inFlight, generation, bump]);
  const refresh = useCallback(() => bump(), [bump]);
  const tabLink = useCallback(
    (tab: EnvironmentTab, query?: EnvironmentLinkQuery) =>
      tabPath(basePath, tab, query),
    [basePath],
  );
  const value = useMemo(
    () => ({
      ...environment,
      name,
      tabLink,
      generation,
      live,
      refresh,
      permissions,
      tracked,
      track,
    }),
    [
      environment,
      name,
      tabLink,
      generation,
      live,
      refresh,
      permissions,
      tracked,
    ],
  );
  return <Context.Provider value={value}>{props.children}</Context.Provider>;
}

export function useEnvironmentContext(): EnvironmentContextValue {
  const value = useContext(Context);
  if (!value)
    throw new Error('useEnvironmentContext needs an EnvironmentProvider');
  return value;
}

/**
 * Loads something of the current environment from the environments API, again whenever the
 * environment changes.
 */
export function useEnvironmentData<T>(
  what: string,
  load: (api: EnvironmentsApi, name: string) => Promise<T>,
): Live<T> {
  const api = useApi(environmentsApiRef);
  const { name, generation } = useEnvironmentContext();
  return useLive(() => load(api, name), `${name}|${what}`, generation);
}
