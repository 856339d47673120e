import {
  createExternalRouteRef,
  createRouteRef,
  createSubRouteRef,
} from '@backstage/core-plugin-api';

/** The environments list, mounted at /environments (common's ENVIRONMENTS_ROOT_PATH). */
export const rootRouteRef = createRouteRef({ id: 'environments' });

/** One environment's page; its tabs are relative paths below it (common's environmentPath). */
export const environmentRouteRef = createSubRouteRef({
  id: 'environments/environment',
  parent: rootRouteRef,
  path: '/:name',
});

/** Where "Create environment" leads: the software templates (the scaffolder) by default. */
export const createEnvironmentRouteRef = createExternalRouteRef({
  id: 'create-environment',
  optional: true,
  defaultTarget: 'scaffolder.root',
});
