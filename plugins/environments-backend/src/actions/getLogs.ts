import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError, NotFoundError } from '@backstage/errors';
import { environmentLogsReadPermission } from '@archipelago/plugin-environments-common';
import { PassThrough } from 'node:stream';
import { ActionDeps, audited, nameInput } from './shared';

/** At most this much text goes back to an agent; the last part of the log is kept. */
const MAX_CHARS = 64 * 1024;

/**
 * environments:get-logs — the last lines of a pod's log: of the pod named, or of the first pod
 * (ready ones first) of the service named.
 */
export function registerGetLogsAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'get-logs',
    title: "Tail a service's log",
    description: `Returns the last lines of a container's log in an environment, with timestamps: of the pod named, or of a pod of the service named (a ready one first).
At most 1000 lines and 64 KiB; the newest part is kept. Only the environment's owners may read its logs.`,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          name: nameInput(z),
          service: z
            .string()
            .optional()
            .describe('A service of the environment (or give pod)'),
          pod: z.string().optional().describe('A pod of the environment'),
          container: z
            .string()
            .optional()
            .describe("The container; the pod's first when left out"),
          lines: z
            .number()
            .optional()
            .describe('How many of the last lines (100 when left out)'),
          previous: z
            .boolean()
            .optional()
            .describe("The previous (crashed) container's log"),
        }),
      output: z =>
        z.object({
          pod: z.string(),
          container: z.string(),
          log: z.string(),
          truncated: z.boolean(),
        }),
    },
    examples: [
      {
        title: "The game service's last 50 lines",
        input: { name: 'jap-kouzan', service: 'game', lines: 50 },
      },
    ],
    action: async ({ input, credentials }) => {
      const lines = input.lines ?? 100;
      if (!Number.isInteger(lines) || lines < 1 || lines > 1000)
        throw new InputError(
          `lines: must be a whole number from 1 to 1000 (got ${lines})`,
        );
      if (!input.pod === !input.service)
        throw new InputError('service, pod: give one of them');
      // An unknown environment is NotFound for everyone, before any permission is asked.
      const env = await deps.service.live(input.name);
      await deps.access.authorize(
        credentials,
        environmentLogsReadPermission,
        input.name,
      );
      const pods = deps.service.pods(env);
      const pod = input.pod
        ? pods.find(p => p.name === input.pod)
        : [...pods]
            .filter(p => p.service === input.service)
            .sort((a, b) => Number(b.ready) - Number(a.ready))[0];
      if (!pod)
        throw new NotFoundError(
          input.pod
            ? `pod: no pod ${input.pod} in ${env.name}`
            : `service: no pod of ${input.service} runs in ${
                env.name
              } (services: ${env.spec.services.map(s => s.name).join(', ')})`,
        );
      const container = deps.service.logContainer(pod, input.container);
      const log = await audited(
        deps,
        credentials,
        'environment-logs-read',
        { name: env.name, pod: pod.name, container, follow: false },
        async () => {
          const out = new PassThrough();
          let text = '';
          out.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            if (text.length > 2 * MAX_CHARS) text = text.slice(-MAX_CHARS);
          });
          const ended = new Promise<void>((resolve, reject) => {
            out.on('end', resolve);
            out.on('finish', resolve);
            out.on('error', reject);
          });
          const abort = await deps.service.streamLogs(
            env,
            pod.name,
            container,
            out,
            {
              follow: false,
              tailLines: lines,
              previous: input.previous === true,
            },
          );
          // A log that is not followed ends by itself; never wait for one longer than 30 s.
          const timer = setTimeout(() => abort.abort(), 30_000);
          try {
            await ended;
          } finally {
            clearTimeout(timer);
          }
          return text;
        },
      );
      const truncated = log.length > MAX_CHARS;
      return {
        output: {
          pod: pod.name,
          container,
          log: truncated ? log.slice(-MAX_CHARS) : log,
          truncated,
        },
      };
    },
  });
}
