import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { environmentCreatePermission } from '@archipelago/plugin-environments-common';
import {
  ActionDeps,
  audited,
  fieldsInMessage,
  operationOutput,
  operationSummary,
  specInput,
  summaryOf,
  summaryOutput,
} from './shared';

/**
 * environments:create-environment — a new environment from a spec, as POST /environments.
 * An environment of that name that exists already is refused (apply-environment changes one).
 */
export function registerCreateEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'create-environment',
    title: 'Create an environment',
    description: `Creates a dedicated environment on Kubernetes from a spec: its services (each from a catalog component, at a version), owner, purpose and TTL.
It answers at once with the queued create operation; call wait-for-environment to wait until it is Ready.
The name defaults to one made from branch. An environment of that name that exists already is refused: use apply-environment to change one.
Refusals name each field that is wrong.`,
    attributes: { readOnly: false, idempotent: false, destructive: false },
    schema: {
      input: z =>
        specInput(z).extend({
          name: z
            .string()
            .optional()
            .describe(
              'Lower-case letters, digits and dashes; made from branch when left out',
            ),
        }),
      output: z =>
        z.object({
          environment: summaryOutput(z),
          operation: operationOutput(z),
        }),
    },
    examples: [
      {
        title: 'A feature environment with two services',
        input: {
          name: 'jap-kouzan',
          owner: 'group:default/backend',
          purpose: 'feature',
          ttl: '8h',
          services: [
            { name: 'game', component: 'component:default/game' },
            { name: 'global', component: 'component:default/global' },
          ],
        },
      },
      {
        title: "A branch's environment, falling back to integration",
        input: {
          branch: 'feature/login',
          owner: 'group:default/backend',
          purpose: 'feature',
          base: 'integration',
          services: [{ name: 'login', version: '1.4.0' }],
        },
      },
    ],
    action: async ({ input, credentials }) => {
      await deps.access.authorize(credentials, environmentCreatePermission);
      const caller = await deps.access.callerOf(credentials);
      const result = await audited(
        deps,
        credentials,
        'environment-create',
        { name: String(input.name ?? ''), owner: String(input.owner ?? '') },
        () => deps.service.create(input, caller).catch(fieldsInMessage),
      );
      return {
        output: {
          environment: summaryOf(result.environment, deps.appBaseUrl),
          operation: operationSummary(result.operation),
        },
      };
    },
  });
}
