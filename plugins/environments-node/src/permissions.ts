import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { z } from 'zod';
import { RESOURCE_TYPE_ENVIRONMENT } from '@archipelago/plugin-environments-common';

/** What permission rules see of an environment. */
export interface EnvironmentPermissionResource {
  name: string;
  owner: string;
  purpose: string;
}

/** The query a conditional decision becomes: environments owned by one of these refs. */
export interface EnvironmentPermissionQuery {
  owners?: string[];
  purposes?: string[];
}

export const environmentPermissionResourceRef = createPermissionResourceRef<
  EnvironmentPermissionResource,
  EnvironmentPermissionQuery
>().with({ pluginId: 'environments', resourceType: RESOURCE_TYPE_ENVIRONMENT });

/** Allows environments whose owner is one of the claims (e.g. the user's ownership refs). */
export const isEnvironmentOwner = createPermissionRule({
  name: 'IS_ENVIRONMENT_OWNER',
  description:
    'Allow environments owned by one of the given user or group entity refs',
  resourceRef: environmentPermissionResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe('Entity refs of the user and the groups they belong to'),
  }),
  apply: (resource, { claims }) =>
    claims
      .map(c => c.toLocaleLowerCase('en-US'))
      .includes(resource.owner.toLocaleLowerCase('en-US')),
  toQuery: ({ claims }) => ({
    owners: claims.map(c => c.toLocaleLowerCase('en-US')),
  }),
});

/** Allows environments of one of the given purposes (say, integration environments as bases). */
export const hasEnvironmentPurpose = createPermissionRule({
  name: 'HAS_ENVIRONMENT_PURPOSE',
  description: 'Allow environments of one of the given purposes',
  resourceRef: environmentPermissionResourceRef,
  paramsSchema: z.object({
    purposes: z
      .array(z.string())
      .describe('Purposes such as integration, feature, perf, sandbox'),
  }),
  apply: (resource, { purposes }) => purposes.includes(resource.purpose),
  toQuery: ({ purposes }) => ({ purposes }),
});

export const environmentPermissionRules = {
  isEnvironmentOwner,
  hasEnvironmentPurpose,
};

/** Condition helpers for permission policies. */
export const {
  conditions: environmentConditions,
  createConditionalDecision: createEnvironmentConditionalDecision,
} = createConditionExports({
  resourceRef: environmentPermissionResourceRef,
  rules: environmentPermissionRules,
});
