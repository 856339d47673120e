import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  environmentCreateForOthersPermission,
  environmentCreatePermission,
  environmentDeletePermission,
  environmentExecPermission,
  environmentLogsReadPermission,
  environmentReadPermission,
  environmentUpdatePermission,
  environmentUseAsBasePermission,
} from '@archipelago/plugin-environments-common';
import { ArchipelagoPermissionPolicy } from './permissionPolicy';

const user = {
  identity: {
    type: 'user' as const,
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/backend'],
  },
  info: {
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/backend'],
  },
  token: 't',
  credentials: {} as any,
};

describe('ArchipelagoPermissionPolicy', () => {
  const policy = new ArchipelagoPermissionPolicy();

  it('lets everyone read and create environments', async () => {
    for (const permission of [
      environmentReadPermission,
      environmentCreatePermission,
    ]) {
      expect(await policy.handle({ permission }, user as any)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('lets only owners update, destroy, read logs and open terminals', async () => {
    for (const permission of [
      environmentUpdatePermission,
      environmentDeletePermission,
      environmentLogsReadPermission,
      environmentExecPermission,
    ]) {
      expect(await policy.handle({ permission }, user as any)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'environments',
        resourceType: 'environment',
        conditions: {
          rule: 'IS_ENVIRONMENT_OWNER',
          resourceType: 'environment',
          params: { claims: ['user:default/guest', 'group:default/backend'] },
        },
      });
    }
  });

  it('gives no ownership to an anonymous caller', async () => {
    const decision: any = await policy.handle({
      permission: environmentDeletePermission,
    });
    expect(decision.conditions.params.claims).toEqual([]);
  });

  it('lets only the platform group create environments for other owners', async () => {
    expect(
      await policy.handle(
        { permission: environmentCreateForOthersPermission },
        user as any,
      ),
    ).toEqual({ result: AuthorizeResult.DENY });
    const platform = {
      ...user,
      info: {
        ...user.info,
        ownershipEntityRefs: ['user:default/ops', 'group:default/platform'],
      },
    };
    expect(
      await policy.handle(
        { permission: environmentCreateForOthersPermission },
        platform as any,
      ),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });

  it("makes an environment a base for its owners' environments, and an integration environment for anyone's", async () => {
    expect(
      await policy.handle(
        { permission: environmentUseAsBasePermission },
        user as any,
      ),
    ).toEqual({
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'environments',
      resourceType: 'environment',
      conditions: {
        anyOf: [
          {
            rule: 'IS_ENVIRONMENT_OWNER',
            resourceType: 'environment',
            params: { claims: ['user:default/guest', 'group:default/backend'] },
          },
          {
            rule: 'HAS_ENVIRONMENT_PURPOSE',
            resourceType: 'environment',
            params: { purposes: ['integration'] },
          },
        ],
      },
    });
  });
});
