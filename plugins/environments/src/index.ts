/**
 * Archipelago's environments in the portal: the list, each environment's topology, pods,
 * logs, events, history and registry with its controls, and the catalog entity tabs.
 * `@archipelago/plugin-environments/alpha` is the same for the new frontend system.
 *
 * @packageDocumentation
 */
export {
  environmentsPlugin,
  EnvironmentsPage,
  EntityEnvironmentsContent,
  EntityEnvironmentContent,
} from './plugin';
export { environmentsApiRef, type EnvironmentsApi } from './api';
export {
  rootRouteRef,
  environmentRouteRef,
  createEnvironmentRouteRef,
} from './routes';
export { isEnvironmentResource } from './components/EntityContent/EntityEnvironmentContent';
export { environmentsTranslationRef } from './translation';
