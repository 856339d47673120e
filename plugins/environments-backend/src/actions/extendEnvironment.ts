import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  ActionDeps,
  fieldsInMessage,
  nameInput,
  operationOutput,
  queueOperation,
} from './shared';

/** environments:extend-environment — push back when the environment is reclaimed. */
export function registerExtendEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'extend-environment',
    title: 'Extend an environment',
    description: `Moves an environment's expiry ttl later: from its current expiresAt (or from now, if that has passed), and at most its purpose's longest TTL from now.
Answers with the queued extend operation. Only the environment's owners may extend it.`,
    attributes: { readOnly: false, idempotent: false, destructive: false },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          ttl: z.string().describe('How much longer, e.g. 8h, 2d'),
        }),
      output: z =>
        z.object({
          operation: operationOutput(z),
          expiresAt: z
            .string()
            .describe(
              'When it is reclaimed now (the longest TTL may have capped it)',
            ),
        }),
    },
    examples: [
      {
        title: 'Keep it two more days',
        input: { name: 'jap-kouzan', ttl: '2d' },
      },
    ],
    action: async ({ input, credentials }) => {
      const operation = await queueOperation(deps, credentials, input.name, {
        type: 'extend',
        ttl: input.ttl,
      }).catch(fieldsInMessage);
      // The expiry is recorded with the request, before the operation runs.
      const env = await deps.service.get(input.name);
      return {
        output: {
          operation,
          expiresAt: env.expiresAt?.toISOString() ?? '',
        },
      };
    },
  });
}
