import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  environmentUrl,
  normalizeEntityRef,
  validateEnvironmentSpec,
  withNameFromBranch,
} from '@archipelago/plugin-environments-common';
import {
  ActionDeps,
  explain,
  follow,
  serviceAddresses,
  tokenFor,
} from './helpers';
import { waitInputs } from './schema';
import { examples } from './createEnvironment.examples';

/**
 * A service as a template form gives it: an EntityPicker's component ref stands for the name,
 * empty fields mean "the default", and a release bundle can set the version.
 */
function fromForm(
  service: { name?: string; component?: string } & Record<string, unknown>,
  release: Array<{ component: string; version: string }> | undefined,
): { name: string } & Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(service)) {
    if (v !== '' && v !== null && v !== undefined) out[k] = v;
  }
  const component = ref(out.component);
  // An invalid ref gives no name; the spec validation then names the field.
  const name =
    (out.name as string | undefined) ?? component?.split('/')[1] ?? '';
  const pinned = component
    ? release?.find(r => ref(r.component) === component)
    : undefined;
  if (pinned && !out.image) out.version = pinned.version;
  return { ...out, name };
}

/** A component ref as "component:namespace/name", or undefined when it is not one. */
function ref(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return normalizeEntityRef(value, 'component');
  } catch {
    return undefined;
  }
}

/**
 * `environments:create`: creates an environment from a spec (seed 000's request, made complete),
 * on behalf of the user running the template, and waits until it is Ready.
 */
export function createEnvironmentAction(deps: ActionDeps) {
  return createTemplateAction({
    id: 'environments:create',
    description:
      'Creates an Archipelago environment and, unless told not to, waits until it is Ready. ' +
      'Runs as the user who started the template.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .optional()
            .describe(
              'The environment name: lowercase letters, digits and dashes. Leave it out with a branch: the branch names it (docs/ci.md)',
            ),
        branch: z =>
          z
            .string()
            .optional()
            .describe(
              'The git branch it runs (seed 001). Without a name, the environment is named after it, as the API and the CLI name it',
            ),
        title: z => z.string().optional().describe('A human title'),
        owner: z =>
          z
            .string()
            .optional()
            .describe(
              'The owning user or group entity ref; defaults to the user running the template',
            ),
        purpose: z =>
          z
            .enum(['feature', 'integration', 'perf', 'sandbox'])
            .default('feature')
            .describe(
              'What the environment is for; sets its default TTL and size',
            ),
        base: z =>
          z
            .string()
            .optional()
            .describe(
              'An environment whose services answer for the ones this one does not run',
            ),
        cluster: z => z.string().optional().describe('The cluster to run on'),
        ttl: z =>
          z
            .string()
            .optional()
            .describe(
              'How long it lives: 30m, 8h, 3d or 2w (default per purpose)',
            ),
        labels: z =>
          z.record(z.string(), z.string()).optional().describe('Labels'),
        services: z =>
          z
            .array(
              z
                .object({
                  name: z
                    .string()
                    .optional()
                    .describe(
                      'The service name; defaults to the component name',
                    ),
                  component: z
                    .string()
                    .optional()
                    .describe('The catalog component the service comes from'),
                })
                .passthrough()
                .describe(
                  'A service: name or component, and optionally version, image, replicas, env, ports…',
                ),
            )
            .min(1)
            .describe('The services to run'),
        release: z =>
          z
            .array(z.object({ component: z.string(), version: z.string() }))
            .optional()
            .describe(
              "A release bundle: versions by component that override the services' versions",
            ),
        ...waitInputs(
          'Wait until the environment is Ready',
          'How long to wait (the creation budget is 15 minutes)',
        ),
      },
      output: {
        name: z => z.string().describe('The environment name'),
        namespace: z => z.string().describe('Its Kubernetes namespace'),
        status: z =>
          z
            .string()
            .describe('Its phase when the action ended (DryRun in a dry run)'),
        url: z => z.string().describe('Its page in the portal'),
        operationId: z => z.string().describe('The create operation'),
        services: z =>
          z
            .array(
              z.object({
                name: z.string(),
                version: z.string(),
                address: z.string(),
                answeredBy: z.string(),
                ready: z.string(),
              }),
            )
            .describe('Each service with its version and in-cluster address'),
      },
    },
    async handler(ctx) {
      // The scaffolder checks inputs against the JSON schema but does not fill in defaults.
      const {
        wait = true,
        timeoutMinutes = 15,
        release,
        purpose = 'feature',
        ...input
      } = ctx.input;
      // A branch and no name: named by environmentNameForBranch, as the API would.
      const spec = withNameFromBranch({
        ...input,
        purpose,
        owner: input.owner ?? ctx.user?.ref,
        services: input.services.map(s => fromForm(s, release)),
      }) as Omit<typeof input, 'name' | 'services'> & {
        name: string;
        purpose: typeof purpose;
        owner?: string;
        services: ReturnType<typeof fromForm>[];
      };
      // The same schema the backend uses: bad input fails here, with every field named.
      const checked = validateEnvironmentSpec(spec);
      if (!checked.success) {
        throw new Error(
          `The environment spec is invalid; fix these inputs:\n${checked.errors
            .map(e => `  - ${e.path}: ${e.message}`)
            .join('\n')}`,
        );
      }
      const token = await tokenFor(ctx, deps.auth);
      const url = environmentUrl(deps.appBaseUrl, spec.name);

      // Validate, render and check capacity first: a refusal leaves nothing behind.
      const preview = await deps.client
        .dryRunCreate(spec, { token })
        .catch(e => {
          throw explain(e, `Creating environment "${spec.name}"`);
        });
      if (!preview.capacity.fits) {
        throw new Error(
          `Environment "${spec.name}" does not fit on the cluster: ${preview.capacity.message}`,
        );
      }
      ctx.logger.info(
        `Environment "${spec.name}" renders to ${preview.objects.length} objects in namespace ${preview.namespace}; ${preview.capacity.message}`,
      );

      if (ctx.isDryRun) {
        for (const o of preview.objects) {
          ctx.logger.info(`would create ${o.kind} ${o.name}`);
        }
        ctx.output('name', spec.name);
        ctx.output('namespace', preview.namespace);
        ctx.output('status', 'DryRun');
        ctx.output('url', url);
        ctx.output('operationId', '');
        ctx.output(
          'services',
          spec.services.map(s => ({
            name: s.name,
            version: String((s as any).version ?? ''),
            address: '',
            answeredBy: spec.base ?? spec.name,
            ready: '0/0',
          })),
        );
        return;
      }

      // A retried task finds the create it already made instead of making another.
      const created = await ctx.checkpoint({
        key: `environments-create-${spec.name}`,
        fn: async () => {
          const result = await deps.client
            .createEnvironment(spec, { token })
            .catch(e => {
              throw explain(e, `Creating environment "${spec.name}"`);
            });
          ctx.logger.info(
            `Environment "${spec.name}" recorded at revision ${result.operation.revision}; operation ${result.operation.id} queued`,
          );
          return {
            operationId: result.operation.id,
            namespace: result.environment.namespace,
          };
        },
      });

      ctx.output('name', spec.name);
      ctx.output('namespace', created.namespace);
      ctx.output('url', url);
      ctx.output('operationId', created.operationId);
      if (!wait) {
        ctx.output('status', 'Creating');
        ctx.output('services', []);
        return;
      }
      const operation = await deps.client.getOperation(
        spec.name,
        created.operationId,
        { token },
      );
      const { environment } = await follow(
        ctx,
        deps,
        token,
        spec.name,
        operation,
        { timeoutMinutes, waitFor: 'Ready' },
      );
      ctx.output('status', environment!.status.phase);
      const services = await serviceAddresses(deps, token, environment!);
      for (const s of services) {
        ctx.logger.info(
          `${s.name} ${s.version} at ${s.address}${
            s.answeredBy !== spec.name ? ` (from ${s.answeredBy})` : ''
          }`,
        );
      }
      ctx.output('services', services);
      ctx.logger.info(`Environment "${spec.name}" is Ready: ${url}`);
    },
  });
}
