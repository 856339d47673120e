/*
 * archipelago: Archipelago's environments from CI (docs/ci.md), on the typed client.
 *
 *   archipelago env apply -f env.yaml [--branch <ref>] [--name <name>] [--wait]
 *   archipelago env wait    [<name>] [--branch <ref>]
 *   archipelago env destroy [<name>] [--branch <ref>] [--wait]
 *   archipelago env get     [<name>] [--branch <ref>]
 *   archipelago env name    [--branch <ref>]
 *
 * The backend is ARCHIPELAGO_URL (or --url), the token ARCHIPELAGO_TOKEN (or --token). The
 * branch comes from --branch, or the spec, or CI's own variables; the environment's name from
 * the argument, or the spec, or the branch (environmentNameForBranch, as the API names it).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  Environment,
  EnvironmentsClient,
  Operation,
  environmentNameForBranch,
  environmentUrl,
} from '@archipelago/plugin-environments-common';

/** Exit codes: what a CI job can branch on. */
export const EXIT = {
  ok: 0,
  /** Refused, or an operation failed. */
  failed: 1,
  /** The command line or the spec file is wrong. */
  usage: 2,
  /** --timeout passed first. */
  timeout: 3,
} as const;

/** What main talks to: the process's, or a test's. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  fetch: typeof fetch;
  sleep(ms: number): Promise<void>;
  now(): number;
}

const defaultIo: CliIo = {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
  fetch: (...a) => fetch(...a),
  sleep: ms => new Promise(r => setTimeout(r, ms)),
  now: () => Date.now(),
};

export const USAGE = `usage: archipelago env <command> [options]

commands:
  apply -f <file>     create the environment, or change it to match the file (YAML or JSON);
                      nothing when it already matches. \${VAR} in the file is the variable's value
  wait [<name>]       until its last operation has finished and it is Ready
  destroy [<name>]    destroy it (an environment already gone is not an error)
  get [<name>]        print it as JSON
  name                print the environment name of --branch

options:
  --url <url>         the Backstage backend (ARCHIPELAGO_URL)
  --token <token>     a static token or JWT for it (ARCHIPELAGO_TOKEN)
  --app-url <url>     the portal, for links (ARCHIPELAGO_APP_URL; default: --url)
  --branch <ref>      the git branch (default: the spec's, else ARCHIPELAGO_BRANCH,
                      GITHUB_HEAD_REF, GITHUB_REF_NAME or CI_COMMIT_REF_NAME)
  --name <name>       the environment (default: the spec's, else the branch's)
  --wait              apply, destroy: wait until it is done
  --timeout <d>       how long to wait, e.g. 90s, 15m, 1h (default 15m)

exit codes: 0 done, 1 refused or failed, 2 bad command line or file, 3 timed out`;

class UsageError extends Error {}
class FailedError extends Error {}
class TimeoutError extends Error {}

const DURATION = /^(\d+)(s|m|h)$/;
function parseDuration(text: string): number {
  const m = DURATION.exec(text);
  if (!m)
    throw new UsageError(
      `--timeout: "${text}" is not a duration such as 90s, 15m or 1h`,
    );
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[m[2]]!;
}

/** `${VAR}` in a spec file is the variable's value; an unset one is an error. */
export function substitute(
  text: string,
  env: Record<string, string | undefined>,
  file: string,
): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, v) => {
    const value = env[v];
    if (value === undefined) missing.add(v);
    return value ?? '';
  });
  if (missing.size)
    throw new UsageError(
      `${file}: ${[...missing].map(v => `\${${v}}`).join(', ')} ${
        missing.size > 1 ? 'are' : 'is'
      } not set`,
    );
  return out;
}

function readSpec(
  file: string,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`-f: cannot read ${file} (${(e as Error).message})`);
  }
  let spec: unknown;
  try {
    spec = parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file}: not YAML or JSON (${(e as Error).message})`);
  }
  // After parsing, inside strings only: a value is never read as YAML (a commit id such as
  // 12345678 stays a string, and no value adds structure).
  const missing = new Set<string>();
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      try {
        return substitute(v, env, file);
      } catch {
        for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g))
          if (env[m[1]] === undefined) missing.add(m[1]);
        return v;
      }
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, fill(x)]),
      );
    return v;
  };
  spec = fill(spec);
  if (missing.size)
    throw new UsageError(
      `${file}: ${[...missing].map(v => `\${${v}}`).join(', ')} ${
        missing.size > 1 ? 'are' : 'is'
      } not set`,
    );
  if (!spec || typeof spec !== 'object' || Array.isArray(spec))
    throw new UsageError(`${file}: must hold an environment spec (a mapping)`);
  return spec as Record<string, unknown>;
}

/** The backend's refusal, with every field it names. */
function describeRefusal(e: unknown): string {
  const err = e as {
    statusCode?: number;
    message?: string;
    body?: { error?: { message?: string }; errors?: unknown };
  };
  const message = err.body?.error?.message ?? err.message ?? String(e);
  const fields = Array.isArray(err.body?.errors)
    ? (err.body!.errors as Array<{ path: string; message: string }>)
    : [];
  const lines = [
    `refused${err.statusCode ? ` (${err.statusCode})` : ''}: ${message}`,
  ];
  for (const f of fields) lines.push(`  ${f.path || '(spec)'}: ${f.message}`);
  return lines.join('\n');
}

const isNotFound = (e: unknown) =>
  (e as { statusCode?: number }).statusCode === 404;

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  io: CliIo = defaultIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        url: { type: 'string' },
        token: { type: 'string' },
        'app-url': { type: 'string' },
        branch: { type: 'string' },
        name: { type: 'string' },
        wait: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`archipelago: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values: o, positionals } = parsed;
  const [group, command, positionalName, ...rest] = positionals;
  if (o.help || !group) {
    io.out(USAGE);
    return o.help ? EXIT.ok : EXIT.usage;
  }
  try {
    if (group !== 'env')
      throw new UsageError(`unknown command "${group}" (there is "env")`);
    if (rest.length)
      throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const timeoutMs = parseDuration(o.timeout ?? '15m');
    // The first that is set and not empty (GitHub sets GITHUB_HEAD_REF to "" on a push).
    const branchFromEnv = () =>
      [
        o.branch,
        env.ARCHIPELAGO_BRANCH,
        env.GITHUB_HEAD_REF,
        env.GITHUB_REF_NAME,
        env.CI_COMMIT_REF_NAME,
      ].find(b => b);
    const nameOf = (spec?: Record<string, unknown>) => {
      const name =
        positionalName ??
        o.name ??
        (typeof spec?.name === 'string' ? spec.name : undefined);
      if (name) return name;
      const branch =
        o.branch ??
        (typeof spec?.branch === 'string' ? spec.branch : undefined) ??
        branchFromEnv();
      if (!branch)
        throw new UsageError(
          'name the environment: an argument, --name, or a branch (--branch, or CI_COMMIT_REF_NAME / GITHUB_REF_NAME)',
        );
      return environmentNameForBranch(branch);
    };
    if (command === 'name') {
      const branch = branchFromEnv();
      if (!branch) throw new UsageError('name needs --branch');
      io.out(environmentNameForBranch(branch));
      return EXIT.ok;
    }
    if (!['apply', 'wait', 'destroy', 'get'].includes(command ?? ''))
      throw new UsageError(
        command
          ? `unknown command "env ${command}" (apply, wait, destroy, get, name)`
          : 'env needs a command: apply, wait, destroy, get or name',
      );
    if (command === 'apply' && !o.file)
      throw new UsageError('apply needs -f <file>');
    const url = (o.url ?? env.ARCHIPELAGO_URL)?.replace(/\/+$/, '');
    if (!url)
      throw new UsageError(
        '--url (or ARCHIPELAGO_URL) must name the Backstage backend',
      );
    const token = o.token ?? env.ARCHIPELAGO_TOKEN;
    if (!token)
      throw new UsageError(
        '--token (or ARCHIPELAGO_TOKEN) must hold a token for the backend (docs/ci.md)',
      );
    const appUrl = (o['app-url'] ?? env.ARCHIPELAGO_APP_URL ?? url).replace(
      /\/+$/,
      '',
    );
    const client = new EnvironmentsClient({
      discoveryApi: {
        getBaseUrl: async plugin => `${url}/api/${plugin}`,
      },
      fetchApi: {
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('Authorization', `Bearer ${token}`);
          return io.fetch(input, { ...init, headers });
        },
      },
    });
    const link = (name: string) => environmentUrl(appUrl, name);
    const deadline = io.now() + timeoutMs;
    const poll = async <T>(
      what: string,
      probe: () => Promise<T | undefined>,
    ): Promise<T> => {
      for (let i = 0; ; i++) {
        let v: T | undefined;
        try {
          v = await probe();
        } catch (e) {
          // A dropped connection or a 502/503 while waiting is waited out, not a failure.
          const status = (e as { statusCode?: number }).statusCode;
          const transient =
            e instanceof TypeError || (status !== undefined && status >= 502);
          if (!transient) throw e;
          io.err(`archipelago: ${(e as Error).message}; trying again`);
        }
        if (v !== undefined) return v;
        if (io.now() >= deadline)
          throw new TimeoutError(
            `timed out after ${o.timeout ?? '15m'} waiting for ${what}`,
          );
        await io.sleep(Math.min(5_000, 500 * (i + 1)));
      }
    };

    /** Until the operation (or the newest one) has finished; then Ready, or why not. */
    const waitReady = async (name: string, operation?: Operation) => {
      let lastPhase = '';
      const env0 = await poll(`${name} to be Ready`, async () => {
        const e = await client.getEnvironment(name);
        const op =
          operation && e.lastOperation?.id !== operation.id
            ? await client.getOperation(name, operation.id)
            : e.lastOperation;
        if (e.status.phase !== lastPhase) {
          lastPhase = e.status.phase;
          io.err(`${name}: ${e.status.phase}`);
        }
        if (op && (op.status === 'pending' || op.status === 'running'))
          return undefined;
        if (op?.status === 'failed')
          throw new FailedError(
            `${name}: operation ${op.type} ${op.id} failed: ${
              op.error ?? 'no reason given'
            }`,
          );
        if (e.status.phase === 'Ready') return e;
        // Its operation is done, and it will not become Ready by itself.
        if (
          ['Stopped', 'Destroying', 'Destroyed', 'Expired', 'Failed'].includes(
            e.status.phase,
          )
        )
          throw new FailedError(
            `${name} is ${e.status.phase}${
              e.status.reasons.length ? `: ${e.status.reasons.join('; ')}` : ''
            }`,
          );
        return undefined;
      });
      return env0;
    };

    const describe = (e: Environment) => {
      const services = e.status.services
        .map(s => `${s.name} ${s.version} (${s.health})`)
        .join(', ');
      return `${e.name}: ${e.status.phase}${services ? ` - ${services}` : ''}`;
    };

    switch (command) {
      case 'apply': {
        const spec = readSpec(o.file!, env);
        const branch =
          o.branch ??
          (typeof spec.branch === 'string' ? spec.branch : undefined);
        const body: Record<string, unknown> = {
          ...spec,
          ...(branch ? { branch } : {}),
        };
        if (!body.branch && branchFromEnv() && !o.name && !spec.name)
          body.branch = branchFromEnv();
        const name = nameOf(body);
        delete body.name;
        const result = await client.applyEnvironment(name, body);
        let what = 'changed';
        if (!result.changed) what = 'unchanged';
        else if (result.operation?.type === 'create') what = 'created';
        else if (result.operation?.params?.retries)
          what = `unchanged, trying again after failed operation ${result.operation.params.retries}`;
        io.out(
          `${name}: ${what}${
            result.operation
              ? ` (operation ${result.operation.type} ${result.operation.id}, revision ${result.operation.revision})`
              : ` (revision ${result.environment.revision})`
          }`,
        );
        if (o.wait) {
          io.out(
            describe(await waitReady(name, result.operation ?? undefined)),
          );
          io.out(link(name));
        }
        return EXIT.ok;
      }
      case 'wait': {
        const name = nameOf();
        io.out(describe(await waitReady(name)));
        io.out(link(name));
        return EXIT.ok;
      }
      case 'get': {
        const name = nameOf();
        io.out(JSON.stringify(await client.getEnvironment(name), null, 2));
        return EXIT.ok;
      }
      case 'destroy': {
        const name = nameOf();
        try {
          const op = await client.destroyEnvironment(name);
          io.out(`${name}: destroying (operation ${op.type} ${op.id})`);
        } catch (e) {
          const beingDestroyed =
            (e as { statusCode?: number }).statusCode === 409 &&
            /is being destroyed/.test(
              (e as { body?: { error?: { message?: string } } }).body?.error
                ?.message ?? '',
            );
          if (!isNotFound(e) && !beingDestroyed) throw e;
          if (!beingDestroyed) {
            io.out(`${name}: already gone`);
            return EXIT.ok;
          }
          io.out(`${name}: already being destroyed`);
        }
        if (o.wait) {
          await poll(`${name} to be destroyed`, async () => {
            try {
              const e = await client.getEnvironment(name);
              if (e.lastOperation?.status === 'failed')
                throw new FailedError(
                  `${name}: destroy failed: ${e.lastOperation.error}`,
                );
              return e.destroyedAt ? true : undefined;
            } catch (e) {
              if (isNotFound(e)) return true;
              throw e;
            }
          });
          io.out(`${name}: destroyed`);
        }
        return EXIT.ok;
      }
      default:
        throw new UsageError(
          command
            ? `unknown command "env ${command}" (apply, wait, destroy, get, name)`
            : 'env needs a command: apply, wait, destroy, get or name',
        );
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`archipelago: ${e.message}\n\nrun archipelago --help for usage`);
      return EXIT.usage;
    }
    if (e instanceof TimeoutError) {
      io.err(`archipelago: ${e.message}`);
      return EXIT.timeout;
    }
    if (e instanceof FailedError) {
      io.err(`archipelago: ${e.message}`);
      return EXIT.failed;
    }
    if ((e as { name?: string }).name === 'ResponseError') {
      io.err(`archipelago: ${describeRefusal(e)}`);
      return EXIT.failed;
    }
    throw e;
  }
}
