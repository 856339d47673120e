import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import LayersIcon from '@material-ui/icons/Layers';
import { ENVIRONMENTS_ROOT_PATH } from '@archipelago/plugin-environments-common';
import { BatchingEnvironmentsClient } from './client/BatchingEnvironmentsClient';
import { environmentsApiRef } from './api';
import {
  createEnvironmentRouteRef,
  environmentRouteRef,
  rootRouteRef,
} from './routes';
import { isEnvironmentResource } from './components/EntityContent/EntityEnvironmentContent';

/** The environments backend's client. */
export const environmentsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: environmentsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new BatchingEnvironmentsClient({ discoveryApi, fetchApi }),
    }),
});

/** The list and every environment's page, at /environments; also the sidebar's entry. */
export const environmentsPage = PageBlueprint.make({
  params: {
    path: ENVIRONMENTS_ROOT_PATH,
    routeRef: rootRouteRef,
    title: 'Environments',
    icon: <LayersIcon />,
    // The pages draw their own headers (status, actions), as they do in legacy apps.
    noHeader: true,
    loader: () =>
      import('./components/EnvironmentsPage/EnvironmentsPage').then(m => (
        <m.EnvironmentsPage />
      )),
  },
});

/** The "Environments" tab on Component entities: where the component runs. */
export const entityEnvironmentsContent = EntityContentBlueprint.make({
  name: 'component',
  params: {
    path: '/environments',
    title: 'Environments',
    group: 'deployment',
    filter: { kind: 'component' },
    loader: () =>
      import('./components/EntityContent/EntityEnvironmentsContent').then(m => (
        <m.EntityEnvironmentsContent />
      )),
  },
});

/** The environment's page as a tab of its Resource entity. */
export const entityEnvironmentContent = EntityContentBlueprint.make({
  name: 'resource',
  params: {
    path: '/environment',
    title: 'Environment',
    group: 'deployment',
    filter: isEnvironmentResource,
    loader: () =>
      import('./components/EntityContent/EntityEnvironmentContent').then(m => (
        <m.EntityEnvironmentContent />
      )),
  },
});

/** The environments plugin for the new frontend system. */
export default createFrontendPlugin({
  pluginId: 'environments',
  title: 'Environments',
  icon: <LayersIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef, environment: environmentRouteRef },
  externalRoutes: { createEnvironment: createEnvironmentRouteRef },
  extensions: [
    environmentsApi,
    environmentsPage,
    entityEnvironmentsContent,
    entityEnvironmentContent,
  ],
});

export { environmentsTranslationRef } from './translation';
