import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ActionDeps,
  explain,
  follow,
  getEnvironment,
  tokenFor,
} from './helpers';
import { waitInputs } from './schema';
import { examples } from './destroyEnvironment.examples';

/** `environments:destroy`: destroys an environment and verifies that nothing of it remains. */
export function destroyEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:destroy',
    description:
      'Destroys an environment: deletes every object it owns and verifies that none remains.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('The environment'),
        ...waitInputs('Wait until it is gone'),
      },
      output: {
        operationId: z => z.string().describe('The destroy operation'),
        status: z =>
          z.string().describe('Destroyed, Destroying, or DryRun in a dry run'),
      },
    },
    async handler(ctx) {
      // The scaffolder checks inputs against the JSON schema but does not fill in defaults.
      const { name, wait = true, timeoutMinutes = 15 } = ctx.input;
      const token = await tokenFor(ctx, deps.auth);
      const env = await getEnvironment(deps, token, name, 'Destroying');
      if (ctx.isDryRun) {
        ctx.logger.info(
          `would destroy ${name}: namespace ${
            env.namespace
          } with ${env.spec.services.map(s => s.name).join(', ')}`,
        );
        ctx.output('operationId', '');
        ctx.output('status', 'DryRun');
        return;
      }
      const id = await ctx.checkpoint({
        key: `environments-destroy-${name}`,
        fn: async () => {
          const op = await deps.client
            .destroyEnvironment(name, { token })
            .catch(e => {
              throw explain(e, `Destroying environment "${name}"`);
            });
          ctx.logger.info(`destroy of ${name} queued as operation ${op.id}`);
          return op.id;
        },
      });
      ctx.output('operationId', id);
      if (!wait) {
        ctx.output('status', 'Destroying');
        return;
      }
      const op = await deps.client.getOperation(name, id, { token });
      await follow(ctx, deps, token, name, op, {
        timeoutMinutes,
        waitFor: 'Done',
      });
      ctx.logger.info(
        `Environment "${name}" is destroyed; nothing of it remains`,
      );
      ctx.output('status', 'Destroyed');
    },
  });
}
