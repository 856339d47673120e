/*
 * Deep links into the portal's environment pages. People paste these into team docs, and the
 * backend puts them into notifications, catalog entities and template outputs, so they are
 * built in one place and never change shape:
 *
 *   /environments                                   the list
 *   /environments/<name>                            an environment (its topology)
 *   /environments/<name>/config                     its services' configuration (seed 001)
 *   /environments/<name>/pods?service=<s>           its pods, optionally of one service
 *   /environments/<name>/logs?pod=<p>&container=<c>&since=<10m>|sinceTime=<ISO>
 *   /environments/<name>/events
 *   /environments/<name>/history?from=<rev>&to=<rev>
 *   /environments/<name>/alerts                     its alert rules, watchers and recent alerts
 *   /environments/<name>/registry?service=<s>
 *   /environments/<name>/islands?service=<s>          its game-server islands (seed 002)
 *
 * The paths are relative to the app's base URL.
 */

/** The tabs of an environment page, in the order they are shown. Topology is the page itself. */
export const ENVIRONMENT_TABS = [
  'topology',
  'config',
  'pods',
  'logs',
  'events',
  'history',
  'alerts',
  'registry',
  'islands',
] as const;
export type EnvironmentTab = (typeof ENVIRONMENT_TABS)[number];

/** Where the environments pages are mounted in the app. */
export const ENVIRONMENTS_ROOT_PATH = '/environments';

/** The query parameters each tab understands. */
export interface EnvironmentLinkQuery {
  /** pods, registry, islands: show one service. */
  service?: string;
  /** logs: the pod. */
  pod?: string;
  /** logs: the container (the pod's first when left out). */
  container?: string;
  /** logs: how far back, as a duration ("10m", "2h", "1d"; see parseDuration). */
  since?: string;
  /** logs: from this instant (ISO 8601); wins over since. */
  sinceTime?: string;
  /** history: the older revision of a diff. */
  from?: number;
  /** history: the newer revision of a diff. */
  to?: number;
  /** Any tab: open an action's dialog (the expiry warning's link opens Extend). */
  action?: 'extend';
  /** pods, islands: open a terminal in this pod (in `container`, else its first). */
  terminal?: string;
}

const QUERY_KEYS: Array<keyof EnvironmentLinkQuery> = [
  'service',
  'terminal',
  'pod',
  'container',
  'since',
  'sinceTime',
  'from',
  'to',
  'action',
];

/** The path of the environments list, relative to the app's base URL. */
export function environmentsListPath(): string {
  return ENVIRONMENTS_ROOT_PATH;
}

/**
 * The path of an environment's page, or of one of its tabs, relative to the app's base URL.
 * Parameters appear in a fixed order, so the same link is always the same text.
 */
export function environmentPath(
  name: string,
  tab: EnvironmentTab = 'topology',
  query: EnvironmentLinkQuery = {},
): string {
  let path = `${ENVIRONMENTS_ROOT_PATH}/${encodeURIComponent(name)}`;
  if (tab !== 'topology') path += `/${tab}`;
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** An absolute link: the app's base URL plus environmentPath. */
export function environmentUrl(
  appBaseUrl: string,
  name: string,
  tab: EnvironmentTab = 'topology',
  query: EnvironmentLinkQuery = {},
): string {
  return `${appBaseUrl.replace(/\/+$/, '')}${environmentPath(
    name,
    tab,
    query,
  )}`;
}
