import { createApiRef } from '@backstage/core-plugin-api';
import type { EnvironmentsClient } from '@archipelago/plugin-environments-common';

/**
 * What the portal asks of the environments backend: the REST API client's methods (common's
 * EnvironmentsClient, made from the backend's openapi.yaml).
 */
export type EnvironmentsApi = Pick<
  EnvironmentsClient,
  | 'listEnvironments'
  | 'getEnvironment'
  | 'requestOperation'
  | 'destroyEnvironment'
  | 'listOperations'
  | 'getOperation'
  | 'listRevisions'
  | 'getRegistry'
  | 'getPods'
  | 'getTopology'
  | 'getEvents'
  | 'streamLogs'
  | 'listIslands'
  | 'getIslandLedger'
  | 'listClusters'
  | 'getConfig'
  | 'getAlerts'
  | 'updateAlerts'
  | 'setWatching'
>;

/** The environments backend, for the portal. */
export const environmentsApiRef = createApiRef<EnvironmentsApi>({
  id: 'plugin.environments.service',
});
