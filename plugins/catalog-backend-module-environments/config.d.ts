import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /** Archipelago environments as catalog Resources of type environment. */
      archipelagoEnvironments?: {
        /**
         * How often the provider reads every environment and replaces what it gave the catalog.
         * Default: every 15 seconds, with a 1 minute timeout.
         */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
