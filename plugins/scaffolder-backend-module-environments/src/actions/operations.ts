import type { ZodType } from 'zod';
import {
  Operation,
  OperationRequest,
  toFieldErrors,
} from '@archipelago/plugin-environments-common';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ActionDeps, explain } from './helpers';

/** Checks an operation request with the backend's own schema; every bad field is named. */
export function checkOperation(
  schema: ZodType<OperationRequest>,
  body: unknown,
): OperationRequest {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new Error(
      `The request is invalid; fix these inputs:\n${toFieldErrors(parsed.error)
        .map(e => `  - ${e.path}: ${e.message}`)
        .join('\n')}`,
    );
  }
  return parsed.data;
}

/**
 * Requests an operation once per task step: a retried task picks up the operation it already
 * requested (ctx.checkpoint) instead of queueing a second one.
 */
export async function requestOnce(
  ctx: Pick<ActionContext<any, any>, 'checkpoint' | 'logger' | 'step'>,
  deps: ActionDeps,
  token: string,
  name: string,
  body: OperationRequest,
  what: string,
): Promise<Operation> {
  const id = await ctx.checkpoint({
    key: `environments-${body.type}-${name}-${ctx.step?.id ?? ''}`,
    fn: async () => {
      const op = await deps.client
        .requestOperation(name, body, { token })
        .catch(e => {
          throw explain(e, `${what} environment "${name}"`);
        });
      ctx.logger.info(`${body.type} of ${name} queued as operation ${op.id}`);
      return op.id;
    },
  });
  return deps.client.getOperation(name, id, { token });
}
