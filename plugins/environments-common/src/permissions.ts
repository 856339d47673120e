import { createPermission } from '@backstage/plugin-permission-common';

/** The permission resource type of an environment; its resource ref is the environment name. */
export const RESOURCE_TYPE_ENVIRONMENT = 'environment';

export const environmentCreatePermission = createPermission({
  name: 'environments.environment.create',
  attributes: { action: 'create' },
});

/** A permission on one environment (its resource ref is the environment's name). */
const onEnvironment = (name: string, action: 'read' | 'update' | 'delete') =>
  createPermission({
    name: `environments.environment.${name}`,
    attributes: { action },
    resourceType: RESOURCE_TYPE_ENVIRONMENT,
  });

export const environmentReadPermission = onEnvironment('read', 'read');

/** Deploy, stop/start/restart, rollback and extend. */
export const environmentUpdatePermission = onEnvironment('update', 'update');

export const environmentDeletePermission = onEnvironment('delete', 'delete');

export const environmentLogsReadPermission = onEnvironment('logs.read', 'read');

export const environmentsPermissions = [
  environmentCreatePermission,
  environmentReadPermission,
  environmentUpdatePermission,
  environmentDeletePermission,
  environmentLogsReadPermission,
];
