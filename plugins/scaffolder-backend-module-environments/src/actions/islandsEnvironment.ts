import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  OperationRequest,
  environmentPath,
  environmentUrl,
  operationRequestSchema,
} from '@archipelago/plugin-environments-common';
import { ActionDeps, follow, getEnvironment, tokenFor } from './helpers';
import { phaseOutputs, waitInputs } from './schema';
import { examples } from './islandsEnvironment.examples';
import { checkOperation, requestOnce } from './operations';

/**
 * `environments:islands`: adds islands to an island service, stops, starts, restarts or
 * removes one island, or sets a clock (the environment's, or one island's). Seed 002.
 */
export function islandsEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:islands',
    description:
      'Game-server islands: add islands to an island service, stop, start, restart or remove one island, ' +
      "or set the environment's or one island's clock (libfaketime; nothing restarts).",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('The environment'),
        action: z =>
          z
            .enum(['add', 'stop', 'start', 'restart', 'remove', 'clock'])
            .describe('What to do'),
        service: z => z.string().optional().describe('add: the island service'),
        count: z => z.number().optional().describe('add: how many islands'),
        island: z =>
          z
            .number()
            .optional()
            .describe(
              "stop, start, restart, remove: the island id; clock: the island whose clock to set (the environment's when left out)",
            ),
        clock: z =>
          z
            .object({
              start: z.string().optional(),
              offset: z.string().optional(),
            })
            .optional()
            .describe(
              'clock: {start: "YYYY-MM-DD hh:mm:ss"} or {offset: "+3d"}; {} for real time',
            ),
        ...waitInputs('Wait until it is done'),
      },
      output: {
        operationId: z => z.string().describe('The operation'),
        islandsUrl: z => z.string().describe("The environment's Islands tab"),
        ...phaseOutputs,
      },
    },
    async handler(ctx) {
      const {
        name,
        action,
        service,
        count,
        island,
        clock,
        wait = true,
        timeoutMinutes = 15,
      } = ctx.input;
      let request: Record<string, unknown>;
      if (action === 'add') request = { type: 'island-add', service, count };
      else if (action === 'clock')
        request = {
          type: 'clock',
          clock: clock ?? {},
          ...(island !== undefined ? { island } : {}),
        };
      else request = { type: `island-${action}`, island };
      // Refused here, naming the input, before anything is sent.
      const body: OperationRequest = checkOperation(
        operationRequestSchema,
        request,
      );
      const token = await tokenFor(ctx, deps.auth);
      ctx.output('url', environmentUrl(deps.appBaseUrl, name));
      ctx.output(
        'islandsUrl',
        `${deps.appBaseUrl.replace(/\/+$/, '')}${environmentPath(
          name,
          'islands',
        )}`,
      );
      if (ctx.isDryRun) {
        const env = await getEnvironment(
          deps,
          token,
          name,
          'Changing islands of',
        );
        if (action === 'add') {
          const svc = env.status.services.find(s => s.name === service);
          if (!svc || svc.kind !== 'island')
            throw new Error(
              `service: environment "${name}" runs no island service named ${service} (its island services: ${
                env.status.services
                  .filter(s => s.kind === 'island')
                  .map(s => s.name)
                  .join(', ') || 'none'
              })`,
            );
        }
        ctx.logger.info(`would ${body.type} on ${name}`);
        ctx.output('operationId', '');
        ctx.output('status', 'DryRun');
        return;
      }
      const op = await requestOnce(
        ctx,
        deps,
        token,
        name,
        body,
        'Changing islands of',
      );
      ctx.output('operationId', op.id);
      if (!wait) {
        ctx.output('status', 'Pending');
        return;
      }
      const { environment } = await follow(ctx, deps, token, name, op, {
        timeoutMinutes,
        waitFor: 'Done',
      });
      const phase =
        environment?.status.phase ??
        (await deps.client.getEnvironment(name, { token })).status.phase;
      ctx.output('status', phase);
    },
  });
}
