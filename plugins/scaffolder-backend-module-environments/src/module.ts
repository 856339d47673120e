import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { EnvironmentsClient } from '@archipelago/plugin-environments-common';
import { createEnvironmentAction } from './actions/createEnvironment';
import { deployEnvironmentAction } from './actions/deployEnvironment';
import { controlEnvironmentAction } from './actions/controlEnvironment';
import { destroyEnvironmentAction } from './actions/destroyEnvironment';
import { islandsEnvironmentAction } from './actions/islandsEnvironment';
import { releaseEnvironmentAction } from './actions/releaseEnvironment';

/**
 * Adds the environments actions to the scaffolder: environments:create, environments:deploy,
 * environments:control, environments:destroy, environments:islands and environments:release. They call the environments backend over HTTP
 * on behalf of the user who runs the template.
 */
export const scaffolderModuleEnvironments = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'environments',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, discovery, auth, config }) {
        const deps = {
          client: new EnvironmentsClient({ discoveryApi: discovery }),
          auth,
          appBaseUrl: config.getString('app.baseUrl'),
        };
        scaffolder.addActions(
          createEnvironmentAction(deps),
          deployEnvironmentAction(deps),
          controlEnvironmentAction(deps),
          destroyEnvironmentAction(deps),
          islandsEnvironmentAction(deps),
          releaseEnvironmentAction(deps),
        );
      },
    });
  },
});
