import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError } from '@backstage/errors';
import {
  Environment,
  environmentReadPermission,
} from '@archipelago/plugin-environments-common';
import {
  ActionDeps,
  nameInput,
  operationOutput,
  operationSummary,
  summaryOf,
  summaryOutput,
} from './shared';

/** Phases an environment does not leave by itself once its operation is done. */
const SETTLED = ['Stopped', 'Destroyed', 'Expired', 'Failed'];

/**
 * environments:wait-for-environment — waits, within one call's time, until an operation has
 * finished and the environment has settled; says whether it is done, and if not, to call
 * again. The same rule as the CLI's `env wait` (docs/ci.md).
 */
export function registerWaitForEnvironmentAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
  options: { pollMs?: number } = {},
) {
  const pollMs = options.pollMs ?? 500;
  registry.register({
    name: 'wait-for-environment',
    title: 'Wait for an environment',
    description: `Waits until an environment's operation (the one given, or its newest) has finished and the environment is Ready, or has settled where it will stay by itself (Stopped, Destroyed, Failed).
Waits at most timeoutSeconds (default 30, at most 55: MCP clients commonly give a call 60 s). done is false when the time ran out: call it again. ready is true when it is Ready; otherwise message says why not (a failed operation's error, or the reasons of its phase).`,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          operationId: z
            .string()
            .optional()
            .describe('The operation to wait for; the newest when left out'),
          timeoutSeconds: z
            .number()
            .optional()
            .describe(
              'How long this call waits: 30 s when left out, at most 55',
            ),
        }),
      output: z =>
        z.object({
          done: z.boolean().describe('false: the time ran out; call again'),
          ready: z.boolean(),
          message: z.string(),
          environment: summaryOutput(z),
          operation: operationOutput(z).optional(),
        }),
    },
    examples: [
      {
        title: 'Wait for a create',
        input: { name: 'jap-kouzan', timeoutSeconds: 50 },
      },
    ],
    action: async ({ input, credentials }) => {
      const timeout = input.timeoutSeconds ?? 30;
      if (!Number.isFinite(timeout) || timeout < 0 || timeout > 55)
        throw new InputError(
          `timeoutSeconds: must be a number from 0 to 55 (got ${timeout}); call again to wait longer`,
        );
      await deps.access.authorize(
        credentials,
        environmentReadPermission,
        input.name,
      );
      const deadline = Date.now() + timeout * 1000;
      for (;;) {
        const record = await deps.service.get(input.name);
        const env: Environment = await deps.service.view(record);
        const op = input.operationId
          ? await deps.service.operation(record, input.operationId)
          : env.lastOperation;
        const environment = summaryOf(env, deps.appBaseUrl);
        const operation = op ? operationSummary(op) : undefined;
        const answer = (done: boolean, ready: boolean, message: string) => ({
          output: {
            done,
            ready,
            message,
            environment,
            ...(operation ? { operation } : {}),
          },
        });
        const running = op?.status === 'pending' || op?.status === 'running';
        const phase = env.status.phase;
        if (!running) {
          if (op?.status === 'failed')
            return answer(
              true,
              false,
              `operation ${op.type} ${op.id} failed: ${
                op.error ?? 'no reason given'
              }`,
            );
          if (phase === 'Ready')
            return answer(true, true, `${env.name} is Ready`);
          if (SETTLED.includes(phase))
            return answer(
              true,
              false,
              `${env.name} is ${phase}${
                env.status.reasons.length
                  ? `: ${env.status.reasons.join('; ')}`
                  : ''
              }`,
            );
        }
        if (Date.now() >= deadline)
          return answer(
            false,
            false,
            `${env.name} is ${phase}${
              running ? ` (operation ${op!.type} ${op!.status})` : ''
            }; not done after ${timeout} s, call again`,
          );
        await new Promise(r =>
          setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))),
        );
      }
    },
  });
}
