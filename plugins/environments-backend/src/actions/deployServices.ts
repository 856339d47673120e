import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  ActionDeps,
  fieldsInMessage,
  nameInput,
  operationOutput,
  queueOperation,
} from './shared';

/** environments:deploy-services — new versions (or images) of some services, one click's worth. */
export function registerDeployServicesAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'deploy-services',
    title: 'Deploy new versions of services',
    description: `Deploys another version (or a whole image reference) of one or more services of an environment, with a rolling update; services not named stay as they are.
Answers with the queued deploy operation; call wait-for-environment with its id. Only the environment's owners may deploy.`,
    attributes: { readOnly: false, idempotent: false, destructive: false },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          services: z
            .array(
              z.object({
                name: z.string().describe('A service of the environment'),
                version: z.string().optional(),
                image: z
                  .string()
                  .optional()
                  .describe('A full image reference, instead of a version'),
              }),
            )
            .describe('Each service to deploy, with a version or an image'),
        }),
      output: z => z.object({ operation: operationOutput(z) }),
    },
    examples: [
      {
        title: 'Deploy a new game build',
        input: {
          name: 'jap-kouzan',
          services: [{ name: 'game', version: '20210501' }],
        },
      },
    ],
    action: async ({ input, credentials }) => ({
      output: {
        operation: await queueOperation(deps, credentials, input.name, {
          type: 'deploy',
          services: input.services,
        }).catch(fieldsInMessage),
      },
    }),
  });
}
