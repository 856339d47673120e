/*
 * The demo app's permission policy:
 * - everyone reads environments and may create them, for themselves or one of their groups;
 * - only members of group:default/platform create environments for other owners;
 * - an environment is a base (seed 001) for its owners' environments, and an integration
 *   environment for everyone's;
 * - only an environment's owners (the user or one of their groups) deploy, control, extend,
 *   destroy, read logs and open terminals.
 * Everything else in the app is allowed.
 */
import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
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

/** The group whose members may create environments for any owner. */
export const PLATFORM_GROUP = 'group:default/platform';

export class ArchipelagoPermissionPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    if (
      isPermission(request.permission, environmentCreateForOthersPermission)
    ) {
      return {
        result: claims.includes(PLATFORM_GROUP)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    if (isPermission(request.permission, environmentUseAsBasePermission)) {
      return createEnvironmentConditionalDecision(
        environmentUseAsBasePermission,
        {
          anyOf: [
            environmentConditions.isEnvironmentOwner({ claims }),
            environmentConditions.hasEnvironmentPurpose({
              purposes: ['integration'],
            }),
          ],
        },
      );
    }
    const ownerOnly = [
      environmentUpdatePermission,
      environmentDeletePermission,
      environmentLogsReadPermission,
      environmentExecPermission,
    ];
    for (const permission of ownerOnly) {
      if (isPermission(request.permission, permission)) {
        return createEnvironmentConditionalDecision(
          permission,
          environmentConditions.isEnvironmentOwner({ claims }),
        );
      }
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'archipelago-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new ArchipelagoPermissionPolicy());
      },
    });
  },
});
