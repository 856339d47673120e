import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  environmentUrl,
  operationRequestSchema,
} from '@archipelago/plugin-environments-common';
import { ActionDeps, follow, getEnvironment, tokenFor } from './helpers';
import { phaseOutputs, waitInputs } from './schema';
import { examples } from './deployEnvironment.examples';
import { checkOperation, requestOnce } from './operations';

/** `environments:deploy`: deploys new versions (or images) of services into an environment. */
export function deployEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:deploy',
    description:
      'Deploys new versions of one or more services into an environment, as a new revision, ' +
      'and waits until it is Ready again.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('The environment'),
        services: z =>
          z
            .array(
              z.object({
                name: z.string().describe('The service'),
                version: z.string().optional().describe('The new version'),
                image: z
                  .string()
                  .optional()
                  .describe('A full image instead of a version'),
              }),
            )
            .min(1)
            .describe(
              'The services to deploy, each with a version or an image',
            ),
        ...waitInputs('Wait until Ready'),
      },
      output: {
        operationId: z => z.string().describe('The deploy operation'),
        revision: z => z.number().describe('The revision it applies'),
        ...phaseOutputs,
      },
    },
    async handler(ctx) {
      // The scaffolder checks inputs against the JSON schema but does not fill in defaults.
      const { name, wait = true, timeoutMinutes = 15 } = ctx.input;
      const body = checkOperation(operationRequestSchema, {
        type: 'deploy',
        services: ctx.input.services,
      });
      const token = await tokenFor(ctx, deps.auth);
      ctx.output('url', environmentUrl(deps.appBaseUrl, name));
      if (ctx.isDryRun) {
        const env = await getEnvironment(deps, token, name, 'Deploying to');
        for (const s of ctx.input.services) {
          const current = env.spec.services.find(x => x.name === s.name);
          ctx.logger.info(
            `would deploy ${s.name}: ${
              current?.version ?? '(not running)'
            } -> ${s.version ?? s.image}`,
          );
        }
        ctx.output('operationId', '');
        ctx.output('revision', env.revision + 1);
        ctx.output('status', 'DryRun');
        return;
      }
      const op = await requestOnce(
        ctx,
        deps,
        token,
        name,
        body,
        'Deploying to',
      );
      ctx.output('operationId', op.id);
      ctx.output('revision', op.revision ?? 0);
      if (!wait) {
        ctx.output('status', 'Deploying');
        return;
      }
      const { environment } = await follow(ctx, deps, token, name, op, {
        timeoutMinutes,
        waitFor: 'Ready',
      });
      ctx.output('status', environment!.status.phase);
    },
  });
}
