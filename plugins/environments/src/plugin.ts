import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { BatchingEnvironmentsClient } from './client/BatchingEnvironmentsClient';
import { environmentsApiRef } from './api';
import {
  createEnvironmentRouteRef,
  environmentRouteRef,
  rootRouteRef,
} from './routes';

/** The environments plugin for apps on the legacy frontend system. */
export const environmentsPlugin = createPlugin({
  id: 'environments',
  apis: [
    createApiFactory({
      api: environmentsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchingEnvironmentsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef, environment: environmentRouteRef },
  externalRoutes: { createEnvironment: createEnvironmentRouteRef },
});

/**
 * The environments pages; mount at /environments so the deep links the backend hands out
 * (notifications, catalog entities, template outputs) land here.
 */
export const EnvironmentsPage = environmentsPlugin.provide(
  createRoutableExtension({
    name: 'EnvironmentsPage',
    component: () =>
      import('./components/EnvironmentsPage/EnvironmentsPage').then(
        m => m.EnvironmentsPage,
      ),
    mountPoint: rootRouteRef,
  }),
);

/** For a Component entity's "Environments" tab: where the component runs. */
export const EntityEnvironmentsContent = environmentsPlugin.provide(
  createComponentExtension({
    name: 'EntityEnvironmentsContent',
    component: {
      lazy: () =>
        import('./components/EntityContent/EntityEnvironmentsContent').then(
          m => m.EntityEnvironmentsContent,
        ),
    },
  }),
);

/** For an environment Resource entity: the environment's page as a tab. */
export const EntityEnvironmentContent = environmentsPlugin.provide(
  createComponentExtension({
    name: 'EntityEnvironmentContent',
    component: {
      lazy: () =>
        import('./components/EntityContent/EntityEnvironmentContent').then(
          m => m.EntityEnvironmentContent,
        ),
    },
  }),
);
