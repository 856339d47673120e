import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { InputError } from '@backstage/errors';
import {
  ENVIRONMENT_PHASES,
  PURPOSES,
  branchOfRef,
} from '@archipelago/plugin-environments-common';
import { ActionDeps, oneOf, summaryOf, summaryOutput } from './shared';

/** environments:list-environments — the environments the caller may read, filtered. */
export function registerListEnvironmentsAction(
  registry: ActionsRegistryService,
  deps: ActionDeps,
) {
  registry.register({
    name: 'list-environments',
    title: 'List environments',
    description: `Lists the environments you may read, with each one's phase, services and portal link.
Filter by owner ("me" means you and your groups), purpose, phase, branch, or text in the name.
Destroyed environments are left out unless includeDestroyed is true.`,
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z.object({
          owner: z
            .string()
            .optional()
            .describe(
              'An owner entity ref (group:default/backend), or "me" for you and your groups',
            ),
          purpose: z
            .string()
            .optional()
            .describe(`One of ${PURPOSES.join(', ')}`),
          phase: z
            .string()
            .optional()
            .describe(`One of ${ENVIRONMENT_PHASES.join(', ')}`),
          branch: z
            .string()
            .optional()
            .describe('The git branch its CI deployed, e.g. feature/login'),
          query: z
            .string()
            .optional()
            .describe('Text in the name, title or owner'),
          includeDestroyed: z.boolean().optional(),
          limit: z
            .number()
            .optional()
            .describe('At most this many (50 when left out, at most 500)'),
        }),
      output: z =>
        z.object({
          environments: z.array(summaryOutput(z)),
          total: z.number().describe('How many matched, before the limit'),
        }),
    },
    examples: [
      {
        title: 'My environments',
        input: { owner: 'me' },
      },
      {
        title: 'The environment of a branch',
        input: { branch: 'feature/login' },
      },
    ],
    action: async ({ input, credentials }) => {
      const limit = input.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new InputError(
          `limit: must be a whole number from 1 to 500 (got ${limit})`,
        );
      const purpose = oneOf('purpose', input.purpose, PURPOSES);
      const phase = oneOf('phase', input.phase, ENVIRONMENT_PHASES);
      let owners: string[] = [];
      if (input.owner === 'me') {
        owners = await deps.access.ownershipOf(credentials);
      } else if (input.owner) owners = [input.owner];
      const envs = await deps.service.list({
        owners: owners.map(o => o.toLocaleLowerCase('en-US')),
        purpose,
        q: input.query,
        branch: input.branch ? branchOfRef(input.branch) : undefined,
        includeDestroyed: input.includeDestroyed === true,
      });
      let items = await deps.service.views(
        await deps.access.readable(credentials, envs),
      );
      if (phase) items = items.filter(i => i.status.phase === phase);
      return {
        output: {
          environments: items
            .slice(0, limit)
            .map(e => summaryOf(e, deps.appBaseUrl)),
          total: items.length,
        },
      };
    },
  });
}
