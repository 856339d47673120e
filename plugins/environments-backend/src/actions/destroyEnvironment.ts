import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { environmentDeletePermission } from '@archipelago/plugin-environments-common';
import {
  ActionDeps,
  audited,
  nameInput,
  oneOf,
  operationOutput,
  operationSummary,
} from './shared';

const DEPENDANTS = ['refuse', 'orphan', 'destroy'] as const;

/** environments:destroy-environment — reclaim an environment: its namespace and everything in it. */
export function registerDestroyEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'destroy-environment',
    title: 'Destroy an environment',
    description: `Destroys an environment: its namespace, services, islands, volumes and registrations go. It cannot be undone.
An environment that is the base of others is refused unless dependants says what becomes of them: orphan (they stay, and stop falling back to it) or destroy (they go too).
Answers with the queued destroy operation; wait-for-environment says when it is Destroyed. Only the environment's owners may destroy it.`,
    attributes: { readOnly: false, idempotent: false, destructive: true },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          dependants: z
            .string()
            .optional()
            .describe(
              'refuse (default), orphan or destroy: what becomes of environments that use this one as their base',
            ),
        }),
      output: z => z.object({ operation: operationOutput(z) }),
    },
    examples: [
      {
        title: 'Destroy a finished feature environment',
        input: { name: 'feature-login' },
      },
    ],
    action: async ({ input, credentials }) => {
      const dependants = oneOf('dependants', input.dependants, DEPENDANTS);
      // An unknown environment is NotFound for everyone, before any permission is asked.
      await deps.service.live(input.name);
      await deps.access.authorize(
        credentials,
        environmentDeletePermission,
        input.name,
      );
      const op = await audited(
        deps,
        credentials,
        'environment-destroy',
        { name: input.name },
        () =>
          deps.service.destroy(
            input.name,
            deps.access.actor(credentials),
            'destroy',
            {
              dependants,
              mayDestroy: name =>
                deps.access.allowed(
                  credentials,
                  environmentDeletePermission,
                  name,
                ),
            },
          ),
      );
      return { output: { operation: operationSummary(op) } };
    },
  });
}
