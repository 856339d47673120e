/*
 * The permission backend with an owner-only policy like the demo app's, for whole-plugin tests
 * that act as owners, non-owners, anonymous callers and services (the permission matrix, the
 * MCP actions).
 */
import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  isPermission,
} from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import permissionBackend from '@backstage/plugin-permission-backend';
import {
  environmentCreateForOthersPermission,
  environmentDeletePermission,
  environmentExecPermission,
  environmentLogsReadPermission,
  environmentUpdatePermission,
  environmentUseAsBasePermission,
} from '@archipelago/plugin-environments-common';
import {
  createEnvironmentConditionalDecision,
  environmentConditions,
} from '@archipelago/plugin-environments-node';

/** Who belongs to which groups. */
export const ownership: Record<string, string[]> = {
  'user:default/owner': ['user:default/owner', 'group:default/backend'],
  'user:default/other': ['user:default/other', 'group:default/qa'],
};

/** Reads for everyone; changes, destroy, logs and terminals for owners; bases for owners. */
export const policyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'matrix-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({
          async handle(req, user) {
            const claims = user?.info.ownershipEntityRefs ?? [];
            if (
              isPermission(req.permission, environmentCreateForOthersPermission)
            )
              return { result: AuthorizeResult.DENY };
            for (const p of [
              environmentUpdatePermission,
              environmentDeletePermission,
              environmentLogsReadPermission,
              environmentExecPermission,
              environmentUseAsBasePermission,
            ]) {
              if (isPermission(req.permission, p))
                return createEnvironmentConditionalDecision(
                  p,
                  environmentConditions.isEnvironmentOwner({ claims }),
                );
            }
            return { result: AuthorizeResult.ALLOW };
          },
        });
      },
    });
  },
});

export const userInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef as string;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: ownership[ref] ?? [ref],
      };
    },
  }),
});

/**
 * The test backend's auth, except that a plugin calling another on behalf of a user sends a
 * user token with that plugin as actor, as the real auth service does. The mock sends a plain
 * user token, which the permissions registry's apply-conditions endpoint rightly refuses.
 */
export const auth = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory: ({ plugin }) => {
    const mock = mockServices.auth({ pluginId: plugin.getId() });
    return Object.assign(Object.create(mock), {
      async getPluginRequestToken(options: any) {
        const p = options.onBehalfOf.principal;
        if (p.type === 'user')
          return {
            token: mockCredentials.user.token(p.userEntityRef, {
              actor: { subject: `plugin:${plugin.getId()}` },
            }),
          };
        return mock.getPluginRequestToken(options);
      },
    });
  },
});

/**
 * The features that make a test backend ask a real permission backend with the owner-only
 * policy: user:default/owner is in group:default/backend, user:default/other in
 * group:default/qa, and a request without credentials is anonymous.
 */
export function ownerOnlyPermissions() {
  return [
    permissionBackend,
    policyModule,
    userInfo,
    auth,
    // A request without credentials is anonymous (the test backend's default is a user).
    mockServices.httpAuth.factory({
      defaultCredentials: mockCredentials.none(),
    }),
  ];
}
