import { createPermission } from '@backstage/plugin-permission-common';

/** The permission resource type of an environment; its resource ref is the environment name. */
export const RESOURCE_TYPE_ENVIRONMENT = 'environment';

export const environmentCreatePermission = createPermission({
  name: 'environments.environment.create',
  attributes: { action: 'create' },
});

/**
 * Creating an environment for an owner that is not among the caller's own ownership refs (the
 * user and their groups). Without it a user creates only for themselves or their groups.
 * Services (CI with a static token, say) act for any owner.
 */
export const environmentCreateForOthersPermission = createPermission({
  name: 'environments.environment.create.for-others',
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

/**
 * A shell in a pod's container from the portal (the web terminal). It can read and change
 * whatever the container can, so the demo policy gives it to owners only.
 */
export const environmentExecPermission = onEnvironment('exec', 'update');

/**
 * Naming the environment as the base of another (seed 001): its NetworkPolicy then admits the
 * dependant, and its services answer the dependant's calls.
 */
export const environmentUseAsBasePermission = onEnvironment('base.use', 'read');

export const environmentsPermissions = [
  environmentCreatePermission,
  environmentCreateForOthersPermission,
  environmentReadPermission,
  environmentUpdatePermission,
  environmentDeletePermission,
  environmentLogsReadPermission,
  environmentExecPermission,
  environmentUseAsBasePermission,
];
