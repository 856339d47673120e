import type {
  AuditorService,
  AuditorServiceCreateEventOptions,
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  environmentCreateForOthersPermission,
  environmentReadPermission,
  environmentUseAsBasePermission,
} from '@archipelago/plugin-environments-common';
import type { Caller } from './EnvironmentsService';

/** The HTTP request an audit event names, when there is one (the REST API's). */
type AuditedRequest = AuditorServiceCreateEventOptions['request'];

export type AnyPermission = BasicPermission | ResourcePermission;

/**
 * Who may do what, asked the same way by the REST API and by the actions registry's actions:
 * the permission policy decides, and every refusal is audited like the change it stopped.
 */
export interface Access {
  /** A user's entity ref, or `service:<subject>`. */
  actor(c: BackstageCredentials): string;
  /** Asks the policy; a refusal is audited (with the request, when there is one). */
  allowed(
    c: BackstageCredentials,
    permission: AnyPermission,
    resourceRef?: string,
    request?: AuditedRequest,
  ): Promise<boolean>;
  /** As allowed, but a refusal throws NotAllowedError naming the permission. */
  authorize(
    c: BackstageCredentials,
    permission: AnyPermission,
    resourceRef?: string,
    request?: AuditedRequest,
  ): Promise<void>;
  /** A user's ownership refs (themselves and their groups); none for a service. */
  ownershipOf(c: BackstageCredentials): Promise<string[]>;
  /** Which of these environments the caller may read, in their order. */
  readable<T extends { name: string }>(
    c: BackstageCredentials,
    envs: T[],
  ): Promise<T[]>;
  /** The caller as the service sees it: who it is, whom it may make an owner, which bases. */
  callerOf(c: BackstageCredentials, request?: AuditedRequest): Promise<Caller>;
}

export function createAccess(deps: {
  permissions: PermissionsService;
  auditor: AuditorService;
  userInfo: UserInfoService;
}): Access {
  const { permissions, auditor, userInfo } = deps;
  const actor = (c: BackstageCredentials) => {
    const principal = c.principal as {
      type: string;
      userEntityRef?: string;
      subject?: string;
    };
    if (principal.type === 'user') return principal.userEntityRef!;
    return `service:${principal.subject ?? 'unknown'}`;
  };
  const allowed: Access['allowed'] = async (
    c,
    permission,
    resourceRef,
    request,
  ) => {
    const [decision] = await permissions.authorize(
      [
        resourceRef
          ? { permission: permission as ResourcePermission, resourceRef }
          : { permission: permission as BasicPermission },
      ],
      { credentials: c },
    );
    if (decision.result === AuthorizeResult.ALLOW) return true;
    const event = await auditor.createEvent({
      eventId: 'environment-access-refused',
      request,
      severityLevel: 'medium',
      meta: {
        actor: actor(c),
        permission: permission.name,
        ...(resourceRef ? { name: resourceRef } : {}),
      },
    });
    await event.fail({
      error: new NotAllowedError(`${permission.name} refused`),
    });
    return false;
  };
  return {
    actor,
    allowed,
    async authorize(c, permission, resourceRef, request) {
      if (await allowed(c, permission, resourceRef, request)) return;
      throw new NotAllowedError(
        `You may not ${permission.attributes.action ?? 'use'} ${
          resourceRef ? `environment "${resourceRef}"` : 'environments'
        } (${permission.name})`,
      );
    },
    async ownershipOf(c) {
      if ((c.principal as { type: string }).type !== 'user') return [];
      return (await userInfo.getUserInfo(c)).ownershipEntityRefs;
    },
    async readable(c, envs) {
      if (!envs.length) return [];
      const decisions = await permissions.authorize(
        envs.map(e => ({
          permission: environmentReadPermission,
          resourceRef: e.name,
        })),
        { credentials: c },
      );
      return envs.filter(
        (_, i) => decisions[i].result === AuthorizeResult.ALLOW,
      );
    },
    /**
     * A user owns what their ownership refs name (themselves and their groups); anything else,
     * and every base, is the policy's decision. A service principal (a static token, say) acts
     * for any owner, unless its access restrictions leave out
     * environments.environment.create.for-others.
     */
    async callerOf(c, request) {
      const ref = actor(c);
      const mayUseBase = (name: string) =>
        allowed(c, environmentUseAsBasePermission, name, request);
      if ((c.principal as { type: string }).type !== 'user') {
        return {
          ref,
          mayOwn: () =>
            allowed(
              c,
              environmentCreateForOthersPermission,
              undefined,
              request,
            ),
          mayUseBase,
        };
      }
      const info = await userInfo.getUserInfo(c);
      const own = new Set(
        info.ownershipEntityRefs.map(r => r.toLocaleLowerCase('en-US')),
      );
      return {
        ref,
        mayOwn: async owner =>
          own.has(owner.toLocaleLowerCase('en-US')) ||
          allowed(c, environmentCreateForOthersPermission, undefined, request),
        mayUseBase,
      };
    },
  };
}
