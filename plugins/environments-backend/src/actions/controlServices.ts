import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  ActionDeps,
  fieldsInMessage,
  nameInput,
  oneOf,
  operationOutput,
  queueOperation,
} from './shared';

const CONTROLS = ['stop', 'start', 'restart'] as const;

/** environments:control-services — stop, start or restart services (all when none are named). */
export function registerControlServicesAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'control-services',
    title: 'Stop, start or restart services',
    description: `Stops, starts or restarts services of an environment; all of them when services is left out. A stopped service keeps its volumes and config and starts again as it was.
Answers with the queued operation; call wait-for-environment with its id. Only the environment's owners may do this.`,
    // Stopping takes services down (people may be using them); it can be undone by a start.
    attributes: { readOnly: false, idempotent: false, destructive: true },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          action: z.string().describe('stop, start or restart'),
          services: z
            .array(z.string())
            .optional()
            .describe('The services; all of them when left out'),
        }),
      output: z => z.object({ operation: operationOutput(z) }),
    },
    examples: [
      {
        title: 'Restart one service',
        input: { name: 'jap-kouzan', action: 'restart', services: ['game'] },
      },
      {
        title: 'Stop a whole environment for the night',
        input: { name: 'jap-kouzan', action: 'stop' },
      },
    ],
    action: async ({ input, credentials }) => ({
      output: {
        operation: await queueOperation(deps, credentials, input.name, {
          type: oneOf('action', input.action, CONTROLS)!,
          ...(input.services ? { services: input.services } : {}),
        }).catch(fieldsInMessage),
      },
    }),
  });
}
