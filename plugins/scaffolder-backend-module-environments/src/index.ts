/**
 * Scaffolder actions for Archipelago environments.
 *
 * @packageDocumentation
 */
export { scaffolderModuleEnvironments as default } from './module';
export { createEnvironmentAction } from './actions/createEnvironment';
export { deployEnvironmentAction } from './actions/deployEnvironment';
export { controlEnvironmentAction } from './actions/controlEnvironment';
export { destroyEnvironmentAction } from './actions/destroyEnvironment';
export { releaseEnvironmentAction } from './actions/releaseEnvironment';
export type { ActionDeps } from './actions/helpers';
