import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  OperationRequest,
  environmentPath,
  environmentUrl,
  operationRequestSchema,
} from '@archipelago/plugin-environments-common';
import { ActionDeps, follow, getEnvironment, tokenFor } from './helpers';
import { phaseOutputs, waitInputs } from './schema';
import { examples } from './releaseEnvironment.examples';
import { checkOperation, requestOnce } from './operations';

/**
 * `environments:release`: a gray release of one service (seed 003, docs/releases.md): start
 * a version beside the current one with a Version header rule, a weight or both; change its
 * weight; promote it to the only version; or abort it.
 */
export function releaseEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:release',
    description:
      'Gray release of one service: start a version beside the current one (Version header rule, weight, or both), ' +
      'change its weight, promote it (the old version drains and goes), or abort it.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z => z.string().describe('The environment'),
        action: z =>
          z
            .enum(['start', 'weight', 'promote', 'abort'])
            .describe('What to do'),
        service: z => z.string().describe('The service'),
        version: z =>
          z
            .string()
            .optional()
            .describe('The released version (start: or give image)'),
        image: z =>
          z
            .string()
            .optional()
            .describe('start: a full image reference instead of a version'),
        header: z =>
          z
            .string()
            .optional()
            .describe(
              'start: requests whose Version header has this value go to the new version (default: the version, when no weight is given)',
            ),
        weight: z =>
          z
            .number()
            .optional()
            .describe(
              'start, weight: percent of the traffic no header rule takes',
            ),
        replicas: z =>
          z.number().optional().describe('start: replicas of the new version'),
        ...waitInputs('Wait until it is done'),
      },
      output: {
        operationId: z => z.string().describe('The operation'),
        ...phaseOutputs,
      },
    },
    async handler(ctx) {
      const {
        name,
        action,
        service,
        version,
        image,
        header,
        weight,
        replicas,
        wait = true,
        timeoutMinutes = 15,
      } = ctx.input;
      const defined = (o: Record<string, unknown>) =>
        Object.fromEntries(
          Object.entries(o).filter(([, v]) => v !== undefined),
        );
      const request = defined({
        type: `release-${action}`,
        service,
        version,
        ...(action === 'start' ? { image, header, replicas } : {}),
        ...(action === 'start' || action === 'weight' ? { weight } : {}),
      });
      // Refused here, naming the input, before anything is sent.
      const body: OperationRequest = checkOperation(
        operationRequestSchema,
        request,
      );
      const token = await tokenFor(ctx, deps.auth);
      ctx.output('url', environmentUrl(deps.appBaseUrl, name));
      if (ctx.isDryRun) {
        const env = await getEnvironment(deps, token, name, 'Releasing on');
        const svc = env.status.services.find(s => s.name === service);
        if (!svc || !['http', 'socket', 'backend'].includes(svc.kind))
          throw new Error(
            `service: environment "${name}" runs no http, socket or backend service named ${service} (its services: ${
              env.status.services
                .map(s => `${s.name} (${s.kind})`)
                .join(', ') || 'none'
            })`,
          );
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
        'Releasing on',
      );
      ctx.output('operationId', op.id);
      ctx.logger.info(
        `${body.type} ${service} on ${name}: ${deps.appBaseUrl.replace(
          /\/+$/,
          '',
        )}${environmentPath(name, 'history')}`,
      );
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
