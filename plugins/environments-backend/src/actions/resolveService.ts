import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { environmentReadPermission } from '@archipelago/plugin-environments-common';
import { ActionDeps, nameInput } from './shared';

/**
 * environments:resolve-service — where a service of an environment answers: its own, or the
 * base's it falls back to (seed 001), with its address and ready instances.
 */
export function registerResolveServiceAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'resolve-service',
    title: 'Resolve a service',
    description: `Says which environment answers for a service as seen from an environment: the environment itself when it runs the service, otherwise the first base along its chain that does (a feature environment falls back to integration). Gives the service's cluster address and its ready instances (pod, IP, ports) from the registry.`,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          service: z.string().describe('The service name, e.g. login'),
        }),
      output: z =>
        z.object({
          environment: z.string(),
          service: z.string(),
          answeredBy: z
            .string()
            .describe('The environment whose service answers'),
          chain: z
            .array(z.string())
            .describe('The environments looked at, in order'),
          address: z.string().describe('Its DNS name in the cluster'),
          instances: z.array(z.record(z.unknown())),
        }),
    },
    examples: [
      {
        title: 'Who answers for login in a feature environment',
        input: { name: 'feature-login', service: 'login' },
      },
    ],
    action: async ({ input, credentials }) => {
      await deps.access.authorize(
        credentials,
        environmentReadPermission,
        input.name,
      );
      const result = await deps.service.resolve(input.name, input.service);
      return {
        output: {
          ...result,
          instances: result.instances as unknown as Record<string, unknown>[],
        },
      };
    },
  });
}
