import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { environmentReadPermission } from '@archipelago/plugin-environments-common';
import { ActionDeps, nameInput, summaryOf, summaryOutput } from './shared';

/** environments:get-environment — one environment: its status and the spec it runs. */
export function registerGetEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'get-environment',
    title: 'Get an environment',
    description: `Reads one environment: its phase and why it is not Ready, each service's version and health, its last operation, its expiry, its portal link, and its spec: the one last recorded (what create-environment or apply-environment takes). When the last operation failed, the cluster may still run the spec before it: lastOperation says so.`,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z => z.object({ name: nameInput(z) }),
      output: z =>
        z.object({
          environment: summaryOutput(z),
          spec: z
            .record(z.unknown())
            .describe(
              'The spec last recorded (the desired state), as create-environment takes it',
            ),
        }),
    },
    examples: [
      {
        title: 'Read an environment',
        input: { name: 'feature-login-7f3a' },
      },
    ],
    action: async ({ input, credentials }) => {
      await deps.access.authorize(
        credentials,
        environmentReadPermission,
        input.name,
      );
      const env = await deps.service.view(await deps.service.get(input.name));
      return {
        output: {
          environment: summaryOf(env, deps.appBaseUrl),
          spec: env.spec as unknown as Record<string, unknown>,
        },
      };
    },
  });
}
