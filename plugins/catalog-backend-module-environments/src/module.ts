import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { EnvironmentsClient } from '@archipelago/plugin-environments-common';
import { EnvironmentEntityProvider } from './EnvironmentEntityProvider';

/** Adds Archipelago environments to the catalog as Resources of type environment. */
export const catalogModuleEnvironments = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'environments',
  register({ registerInit }) {
    registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, config, discovery, auth, logger, scheduler }) {
        const key = 'catalog.providers.archipelagoEnvironments.schedule';
        const schedule = scheduler.createScheduledTaskRunner(
          config.has(key)
            ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
                config.getConfig(key),
              )
            : {
                frequency: { seconds: 15 },
                timeout: { minutes: 1 },
                initialDelay: { seconds: 3 },
              },
        );
        catalog.addEntityProvider(
          new EnvironmentEntityProvider({
            client: new EnvironmentsClient({ discoveryApi: discovery }),
            auth,
            logger,
            appBaseUrl: config.getString('app.baseUrl'),
            schedule,
          }),
        );
      },
    });
  },
});
