import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, main, substitute } from './cli';

/** main with its output kept, and a fetch that fails the test if anything is sent. */
async function cli(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const sent: string[] = [];
  const code = await main(argv, env, {
    out: l => out.push(l),
    err: l => err.push(l),
    fetch: async input => {
      sent.push(String(input));
      throw new Error('no request was expected');
    },
    sleep: async () => undefined,
    now: () => 0,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), sent };
}

describe('archipelago env name', () => {
  it('prints the environment name of a branch, from --branch or CI variables', async () => {
    expect(await cli(['env', 'name', '--branch', 'Feature/Login_v2'])).toEqual(
      expect.objectContaining({ code: EXIT.ok, out: 'feature-login-v2' }),
    );
    expect(
      (await cli(['env', 'name'], { CI_COMMIT_REF_NAME: 'feature/a' })).out,
    ).toBe('feature-a');
    expect(
      (
        await cli(['env', 'name'], {
          GITHUB_REF_NAME: 'feature/b',
          GITHUB_HEAD_REF: 'feature/pr',
        })
      ).out,
    ).toBe('feature-pr');
  });
});

describe('archipelago usage errors', () => {
  it.each([
    [['env'], /env needs a command/],
    [['env', 'launch'], /unknown command "env launch"/],
    [['env', 'apply', '--url', 'http://b'], /apply needs -f <file>/],
    [['kube', 'apply'], /unknown command "kube"/],
    [['env', 'apply'], /apply needs -f <file>/],
    [['env', 'wait', 'x'], /--url \(or ARCHIPELAGO_URL\)/],
    [
      ['env', 'wait', 'x', '--url', 'http://b'],
      /--token \(or ARCHIPELAGO_TOKEN\)/,
    ],
    [
      [
        'env',
        'wait',
        'x',
        '--url',
        'http://b',
        '--token',
        't',
        '--timeout',
        '5 min',
      ],
      /--timeout: "5 min" is not a duration/,
    ],
    [['env', 'name'], /name needs --branch/],
    [['env', 'get', '--colour'], /Unknown option '--colour'/],
  ])('%j exits 2 and says why, sending nothing', async (argv, message) => {
    const r = await cli(argv as string[]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(message);
    expect(r.sent).toEqual([]);
  });

  it('names an unset variable of the spec file, and an unreadable or wrong file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const file = path.join(dir, 'env.yaml');
    const flags = ['--url', 'http://b', '--token', 't', '--name', 'e'];
    fs.writeFileSync(
      file,
      'owner: ${OWNER}\nservices:\n  - name: x\n    version: ${V}\n',
    );
    expect(
      (await cli(['env', 'apply', '-f', file, ...flags], { OWNER: 'o' })).err,
    ).toContain(`${file}: \${V} is not set`);
    fs.writeFileSync(file, '- a list\n');
    expect((await cli(['env', 'apply', '-f', file, ...flags])).err).toContain(
      'must hold an environment spec (a mapping)',
    );
    const missing = await cli(['env', 'apply', '-f', `${file}.nope`, ...flags]);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.err).toContain('-f: cannot read');
  });

  it('prints the usage with --help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('archipelago env <command>');
  });
});

describe('archipelago env apply', () => {
  it('puts ${VAR} values into strings only: a commit id of digits stays a string', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const file = path.join(dir, 'env.yaml');
    fs.writeFileSync(
      file,
      'owner: group:default/a\npurpose: feature\nservices:\n  - name: x\n    version: ${V}\n',
    );
    const requests: Array<{ url: string; body: string; auth: string | null }> =
      [];
    const run = main(
      ['env', 'apply', '-f', file, '--branch', 'feature/X'],
      { V: '12345678', ARCHIPELAGO_URL: 'http://b/', ARCHIPELAGO_TOKEN: 't' },
      {
        out: () => undefined,
        err: () => undefined,
        fetch: async (input, init) => {
          requests.push({
            url: String(input),
            body: String(init?.body),
            auth: new Headers(init?.headers).get('Authorization'),
          });
          throw new Error('stopped here');
        },
        sleep: async () => undefined,
        now: () => 0,
      },
    );
    await expect(run).rejects.toThrow('stopped here');
    expect(requests).toHaveLength(1);
    expect(requests[0].url).toBe(
      'http://b/api/environments/environments/feature-x',
    );
    expect(requests[0].auth).toBe('Bearer t');
    expect(JSON.parse(requests[0].body)).toEqual({
      owner: 'group:default/a',
      purpose: 'feature',
      branch: 'feature/X',
      services: [{ name: 'x', version: '12345678' }],
    });
  });
});

describe('substitute', () => {
  it('fills ${VAR} from the environment and leaves $VAR and text alone', () => {
    expect(substitute('v: ${A}-${B_2} $A', { A: '1', B_2: 'x' }, 'f')).toBe(
      'v: 1-x $A',
    );
  });

  it('names every unset variable at once', () => {
    expect(() => substitute('${A} ${B} ${A}', {}, 'env.yaml')).toThrow(
      'env.yaml: ${A}, ${B} are not set',
    );
  });
});
