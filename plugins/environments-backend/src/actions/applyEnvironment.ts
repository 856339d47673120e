import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  environmentCreatePermission,
  environmentUpdatePermission,
} from '@archipelago/plugin-environments-common';
import {
  ActionDeps,
  audited,
  fieldsInMessage,
  nameInput,
  operationOutput,
  operationSummary,
  specInput,
  summaryOf,
  summaryOutput,
} from './shared';

/**
 * environments:apply-environment — create, or change to match, or nothing: PUT
 * /environments/{name}, CI's way in (docs/ci.md), for agents.
 */
export function registerApplyEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'apply-environment',
    title: 'Apply an environment spec',
    description: `Makes an environment match a whole spec, as CI does on every push: creates it when there is none, deploys what changed when it differs (services left out of the spec are removed), and does nothing when it already matches (changed is false, no operation).
Owner, purpose, cluster and base cannot change. Call wait-for-environment with the operation it answers with.
Refusals name each field that is wrong.`,
    // Services left out of the spec are removed: destructive, and safe to repeat.
    attributes: { readOnly: false, idempotent: true, destructive: true },
    schema: {
      input: z => specInput(z).extend({ name: nameInput(z) }),
      output: z =>
        z.object({
          environment: summaryOutput(z),
          changed: z.boolean(),
          operation: operationOutput(z).optional(),
        }),
    },
    examples: [
      {
        title: 'Deploy a branch as CI would',
        input: {
          name: 'feature-login',
          branch: 'feature/login',
          owner: 'group:default/backend',
          purpose: 'feature',
          base: 'integration',
          services: [{ name: 'login', version: '1.4.1' }],
        },
      },
    ],
    action: async ({ input, credentials }) => {
      const { name } = input;
      const exists = await deps.service.live(name).then(
        () => true,
        e => {
          if ((e as Error).name === 'NotFoundError') return false;
          throw e;
        },
      );
      await deps.access.authorize(
        credentials,
        exists ? environmentUpdatePermission : environmentCreatePermission,
        exists ? name : undefined,
      );
      const caller = await deps.access.callerOf(credentials);
      const result = await audited(
        deps,
        credentials,
        'environment-apply',
        { name, owner: String(input.owner ?? '') },
        () =>
          deps.service
            .apply(name, input, caller, () =>
              exists
                ? Promise.resolve(true)
                : deps.access.allowed(
                    credentials,
                    environmentUpdatePermission,
                    name,
                  ),
            )
            .catch(fieldsInMessage),
      );
      return {
        output: {
          environment: summaryOf(result.environment, deps.appBaseUrl),
          changed: Boolean(result.operation),
          ...(result.operation
            ? { operation: operationSummary(result.operation) }
            : {}),
        },
      };
    },
  });
}
