/*
 * The demo app's permission policy: everyone reads environments and may create them; only an
 * environment's owners (the user or one of their groups) deploy, control, extend, destroy and
 * read logs. Everything else in the app is allowed.
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
  environmentDeletePermission,
  environmentLogsReadPermission,
  environmentUpdatePermission,
} from '@archipelago/plugin-environments-common';
import {
  createEnvironmentConditionalDecision,
  environmentConditions,
} from '@archipelago/plugin-environments-node';

export class ArchipelagoPermissionPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const ownerOnly = [
      environmentUpdatePermission,
      environmentDeletePermission,
      environmentLogsReadPermission,
    ];
    for (const permission of ownerOnly) {
      if (isPermission(request.permission, permission)) {
        return createEnvironmentConditionalDecision(
          permission,
          environmentConditions.isEnvironmentOwner({
            claims: user?.info.ownershipEntityRefs ?? [],
          }),
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
