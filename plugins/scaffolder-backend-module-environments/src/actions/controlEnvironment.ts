import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  environmentUrl,
  operationRequestSchema,
} from '@archipelago/plugin-environments-common';
import { ActionDeps, follow, getEnvironment, tokenFor } from './helpers';
import { phaseOutputs, waitInputs } from './schema';
import { examples } from './controlEnvironment.examples';
import { checkOperation, requestOnce } from './operations';

/** `environments:control`: starts, stops or restarts some services or all of them. */
export function controlEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:control',
    description:
      'Starts, stops or restarts services of an environment (all of them when none are named). ' +
      'Stop keeps volumes and config; start restores the replicas.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('The environment'),
        action: z =>
          z.enum(['start', 'stop', 'restart']).describe('What to do'),
        services: z =>
          z
            .array(z.string())
            .optional()
            .describe('The services; leave out for all of them'),
        ...waitInputs('Wait until it is done'),
      },
      output: {
        operationId: z => z.string().describe('The operation'),
        ...phaseOutputs,
      },
    },
    async handler(ctx) {
      // The scaffolder checks inputs against the JSON schema but does not fill in defaults.
      const {
        name,
        action,
        services,
        wait = true,
        timeoutMinutes = 15,
      } = ctx.input;
      const body = checkOperation(operationRequestSchema, {
        type: action,
        ...(services?.length ? { services } : {}),
      });
      const token = await tokenFor(ctx, deps.auth);
      ctx.output('url', environmentUrl(deps.appBaseUrl, name));
      if (ctx.isDryRun) {
        const env = await getEnvironment(deps, token, name, 'Controlling');
        const known = env.spec.services.map(s => s.name);
        const unknown = (services ?? []).filter(s => !known.includes(s));
        if (unknown.length) {
          throw new Error(
            `Environment "${name}" runs no service named ${unknown.join(
              ', ',
            )} (it runs ${known.join(', ')})`,
          );
        }
        ctx.logger.info(
          `would ${action} ${
            services?.length ? services.join(', ') : 'every service'
          } of ${name}`,
        );
        ctx.output('operationId', '');
        ctx.output('status', 'DryRun');
        return;
      }
      const op = await requestOnce(ctx, deps, token, name, body, 'Controlling');
      ctx.output('operationId', op.id);
      if (!wait) {
        ctx.output('status', 'Pending');
        return;
      }
      // Stopping everything ends Stopped; anything else ends Ready.
      const waitFor =
        action === 'stop' && !services?.length ? 'Stopped' : 'Done';
      const { environment } = await follow(ctx, deps, token, name, op, {
        timeoutMinutes,
        waitFor,
      });
      const phase =
        environment?.status.phase ??
        (await deps.client.getEnvironment(name, { token })).status.phase;
      ctx.output('status', phase);
    },
  });
}
