import type { AuthService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  Environment,
  EnvironmentsClient,
  FieldError,
  Operation,
} from '@archipelago/plugin-environments-common';

/** What every environments action needs. */
export interface ActionDeps {
  client: EnvironmentsClient;
  auth: AuthService;
  /** The portal's base URL, for links to the environment page. */
  appBaseUrl: string;
  /** How often to look at a running operation; tests shorten it. */
  pollIntervalMs?: number;
}

/** The part of an action context the helpers use. */
interface Ctx {
  logger: { info(m: string): void; warn(m: string): void };
  getInitiatorCredentials(): Promise<any>;
  signal?: AbortSignal;
}

/**
 * A token for the environments backend on behalf of the user who runs the template, so that
 * the backend's permission rules apply to that user.
 */
export async function tokenFor(ctx: Ctx, auth: AuthService): Promise<string> {
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf: await ctx.getInitiatorCredentials(),
    targetPluginId: 'environments',
  });
  return token;
}

/**
 * Turns a refusal from the environments backend into an error that explains itself in the task
 * log: which fields are wrong, that a name is taken, that the user may not do this, or that an
 * environment does not exist.
 */
export function explain(error: unknown, what: string): Error {
  if (!(error instanceof ResponseError)) {
    return new Error(
      `${what} failed: ${error instanceof Error ? error.message : error}`,
    );
  }
  const status = error.response.status;
  const body = error.body as any;
  const fields: FieldError[] = Array.isArray(body?.errors) ? body.errors : [];
  const message: string = body?.error?.message ?? error.message;
  if (status === 400 && fields.length) {
    return new Error(
      `${what} was refused; fix these inputs:\n${fields
        .map(f => `  - ${f.path}: ${f.message}`)
        .join('\n')}`,
    );
  }
  if (status === 403) return new Error(`${what} is not allowed: ${message}`);
  if (status === 404 || status === 409)
    return new Error(`${what} failed: ${message}`);
  return new Error(`${what} failed (HTTP ${status}): ${message}`);
}

/** The environment, or the refusal explained as `<what> environment "<name>" ...` (see explain). */
export function getEnvironment(
  deps: ActionDeps,
  token: string,
  name: string,
  what: string,
): Promise<Environment> {
  return deps.client.getEnvironment(name, { token }).catch(e => {
    throw explain(e, `${what} environment "${name}"`);
  });
}

/** The phase to wait for once the operation succeeded, or Done for none. */
export type WaitFor = 'Ready' | 'Stopped' | 'Done';

/**
 * Follows an operation until it finishes and the environment reaches the wanted phase, writing
 * each step and phase change to the task log. Throws with the reason when the operation fails
 * or the time is up.
 */
export async function follow(
  ctx: Ctx,
  deps: ActionDeps,
  token: string,
  name: string,
  operation: Operation,
  options: { timeoutMinutes: number; waitFor: WaitFor },
): Promise<{ operation: Operation; environment?: Environment }> {
  const deadline = Date.now() + options.timeoutMinutes * 60_000;
  const interval = deps.pollIntervalMs ?? 2000;
  const seenSteps = new Map<string, string>();
  let lastPhase = '';
  let op = operation;
  for (;;) {
    op = await deps.client.getOperation(name, operation.id, { token });
    for (const step of op.steps ?? []) {
      if (seenSteps.get(step.name) !== step.status) {
        seenSteps.set(step.name, step.status);
        ctx.logger.info(
          `${op.type} ${step.name}: ${step.status}${
            step.message ? ` (${step.message})` : ''
          }`,
        );
      }
    }
    if (op.status === 'failed') {
      const failed = op.steps?.find(s => s.status === 'failed');
      throw new Error(
        `The ${op.type} of environment "${name}" failed${
          failed ? ` at step ${failed.name}` : ''
        }: ${op.error ?? 'no reason given'}`,
      );
    }
    if (op.status === 'succeeded') {
      if (options.waitFor === 'Done') return { operation: op };
      const env = await deps.client.getEnvironment(name, { token });
      const phase = env.status?.phase ?? 'Unknown';
      if (phase !== lastPhase) {
        lastPhase = phase;
        ctx.logger.info(`environment ${name} is ${phase}${summary(env)}`);
      }
      if (phase === options.waitFor) return { operation: op, environment: env };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Environment "${name}" did not finish its ${op.type} in ${
          options.timeoutMinutes
        } minutes (operation ${op.status}${
          lastPhase ? `, environment ${lastPhase}` : ''
        }). It keeps going in the background; see it in the portal.`,
      );
    }
    if (ctx.signal?.aborted) throw new Error('The task was cancelled');
    await new Promise(r => setTimeout(r, interval));
  }
}

function summary(env: Environment): string {
  const services = env.status?.services ?? [];
  if (!services.length) return '';
  return `: ${services
    .map(
      s =>
        `${s.name} ${s.readyReplicas}/${s.desiredReplicas}${
          s.health && s.health !== 'Ready' ? ` ${s.health}` : ''
        }`,
    )
    .join(', ')}`;
}

/** Each service's version and the in-cluster address that answers for it, for outputs. */
export async function serviceAddresses(
  deps: ActionDeps,
  token: string,
  env: Environment,
) {
  const out: Array<{
    name: string;
    version: string;
    address: string;
    answeredBy: string;
    ready: string;
  }> = [];
  for (const s of env.status.services) {
    const resolved = await deps.client
      .resolve(env.name, s.name, { token })
      .catch(() => undefined);
    out.push({
      name: s.name,
      version: s.version,
      address: resolved?.address ?? '',
      answeredBy: resolved?.answeredBy ?? env.name,
      ready: `${s.readyReplicas}/${s.desiredReplicas}`,
    });
  }
  return out;
}
