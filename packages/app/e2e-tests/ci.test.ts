/*
 * docs/ci.md's snippets, run as CI would run them, against the running app and its cluster:
 * the GitLab CI and GitHub Actions jobs' steps (each a bash script, with the variables the CI
 * system would set), the documented env.yaml, and a token with exactly the documented scope.
 * `npm install -g @archipelago/cli` is the one step this stands in for: `archipelago` on PATH
 * is packages/cli/bin/archipelago.
 */
import { expect, test } from '@playwright/test';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { docSnippet } from './docSnippets';
import { openAsGuest } from './session';
import { screenshot } from './screenshot';

const root = path.resolve(__dirname, '../../..');
const baseUrl = process.env.ARCHIPELAGO_E2E_URL ?? 'http://localhost:3000';
const suffix = Date.now().toString(36).slice(-5);

/** The code block after `<!-- ci-snippet: name -->` in docs/ci.md. */
const snippet = (name: string) => docSnippet('ci.md', 'ci', name);

/** The CI token of app-config.e2e.yaml: the one whose subject is "ci". */
const e2eConfig = parse(
  fs.readFileSync(path.join(root, 'app-config.e2e.yaml'), 'utf8'),
);
const ciAccess = e2eConfig.backend.auth.externalAccess.find(
  (a: any) => a.options.subject === 'ci',
);
const token: string = ciAccess.options.token;

// `archipelago` on PATH, as `npm install -g @archipelago/cli` puts it there.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'archipelago-ci-'));
const bin = path.join(work, 'bin');
fs.mkdirSync(bin);
fs.symlinkSync(
  path.join(root, 'packages/cli/bin/archipelago'),
  path.join(bin, 'archipelago'),
);
const INSTALL = 'npm install -g @archipelago/cli';

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a step's script with bash -e, in a checkout holding env.yaml, as a runner does. */
function run(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<StepResult> {
  return new Promise(resolve => {
    execFile(
      'bash',
      ['-eo', 'pipefail', '-c', script],
      {
        cwd,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: process.env.HOME ?? work,
          NODE_OPTIONS: process.env.NODE_OPTIONS ?? '',
          ...env,
        },
        timeout: 15 * 60_000,
      },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A checkout of a service's repository: env.yaml as docs/ci.md gives it. */
function checkout(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'env.yaml'), snippet('env.yaml'));
  return dir;
}

/** Runs the steps in order, as the job would, and stops at the first that fails. */
async function runJob(
  steps: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    if (step.trim() === INSTALL) continue;
    const r = await run(step, env, cwd);
    results.push(r);
    expect(
      r.code,
      `step "${step}" exited ${r.code}:\n${r.stdout}\n${r.stderr}`,
    ).toBe(0);
  }
  return results;
}

// --- GitHub Actions: ${{ ... }} is the runner's to fill in. ------------------------------------
function githubEnv(
  job: any,
  context: Record<string, string>,
): Record<string, string> {
  const fill = (v: string) =>
    v.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (_m, expr: string) => {
      if (!(expr in context))
        throw new Error(
          `docs/ci.md uses \${{ ${expr} }}, which this test does not fill in`,
        );
      return context[expr];
    });
  return Object.fromEntries(
    Object.entries(job.env ?? {}).map(([k, v]) => [k, fill(String(v))]),
  );
}
const githubSteps = (job: any): string[] =>
  job.steps.filter((s: any) => s.run).map((s: any) => s.run as string);

// --- GitLab CI: $VAR in variables is expanded from the predefined ones. -----------------------
function gitlabEnv(
  job: any,
  predefined: Record<string, string>,
): Record<string, string> {
  const vars: Record<string, string> = { ...predefined };
  for (const [k, v] of Object.entries(job.variables ?? {}))
    vars[k] = String(v).replace(
      /\$\{?(\w+)\}?/g,
      (_m, name: string) => predefined[name] ?? '',
    );
  return vars;
}

const api = (p: string) => `${baseUrl}/api/environments/environments${p}`;
const headers = { Authorization: `Bearer ${token}` };

test.describe.serial('CI snippets of docs/ci.md', () => {
  // The base every branch environment falls back to (seed 001); made here if the app has none.
  let madeIntegration = false;
  test.setTimeout(600_000);

  test.beforeAll(async ({ request }) => {
    const res = await request.get(api('/integration'), { headers });
    if (res.status() === 404) {
      const dir = path.join(work, 'integration');
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, 'integration.yaml'),
        'owner: group:default/backend\npurpose: integration\nservices:\n  - name: global\n',
      );
      const r = await run(
        'archipelago env apply -f integration.yaml --name integration --wait',
        { ARCHIPELAGO_URL: baseUrl, ARCHIPELAGO_TOKEN: token },
        dir,
      );
      expect(r.code, r.stderr).toBe(0);
      madeIntegration = true;
    }
  });

  test.afterAll(async () => {
    if (madeIntegration)
      await run(
        'archipelago env destroy integration',
        { ARCHIPELAGO_URL: baseUrl, ARCHIPELAGO_TOKEN: token },
        work,
      );
  });

  test('the test app gives CI exactly the scope the docs give it', () => {
    const documented = parse(snippet('app-config')).backend.auth.externalAccess;
    expect(documented).toHaveLength(1);
    expect(ciAccess.accessRestrictions).toEqual(
      documented[0].accessRestrictions,
    );
    expect(ciAccess.options.subject).toBe(documented[0].options.subject);
  });

  test('GitHub Actions: a push creates the branch environment and waits, a second push changes nothing, a merged pull request destroys it', async ({
    page,
    request,
  }) => {
    const workflow = parse(snippet('github'));
    const branch = `feature/GH-Login_${suffix}`;
    const name = `feature-gh-login-${suffix}`;
    const sha = `a1b2c3d4e5${suffix}`.padEnd(40, '0');
    const context = {
      'vars.ARCHIPELAGO_URL': baseUrl,
      'secrets.ARCHIPELAGO_TOKEN': token,
      'github.sha': sha,
    };
    const dir = checkout(name);
    const pushEnv = {
      ...githubEnv(workflow.jobs.deploy, context),
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: `refs/heads/${branch}`,
      GITHUB_REF_NAME: branch,
      GITHUB_SHA: sha,
    };
    const [apply, wait] = await runJob(
      githubSteps(workflow.jobs.deploy),
      pushEnv,
      dir,
    );
    expect(apply.stdout).toMatch(
      new RegExp(`^${name}: created \\(operation create [^ ]+, revision 1\\)`),
    );
    expect(wait.stdout).toContain(`${name}: Ready - global ${sha} (Ready)`);
    const link = `${baseUrl}/environments/${name}`;
    expect(wait.stdout.trim().split('\n').at(-1)).toBe(link);

    // What the API holds: the branch, the version from the commit, CI as who asked.
    const env = await (await request.get(api(`/${name}`), { headers })).json();
    expect(env.spec.branch).toBe(branch);
    expect(env.base).toBe('integration');
    expect(env.spec.services).toHaveLength(1);
    expect(env.spec.services[0]).toMatchObject({
      name: 'global',
      version: sha,
    });
    expect(env.createdBy).toBe('service:ci');
    const found = await (
      await request.get(api(`?branch=${encodeURIComponent(branch)}`), {
        headers,
      })
    ).json();
    expect(found.items.map((e: any) => e.name)).toEqual([name]);

    // The same push again: nothing is queued.
    const [again] = await runJob(
      githubSteps(workflow.jobs.deploy),
      pushEnv,
      dir,
    );
    expect(again.stdout).toMatch(
      new RegExp(`^${name}: unchanged \\(revision 1\\)`),
    );
    const ops = await (
      await request.get(api(`/${name}/operations`), { headers })
    ).json();
    expect(ops.items.map((o: any) => o.type)).toEqual(['create']);

    // The link CI printed opens the environment in the portal.
    await openAsGuest(page, link.slice(baseUrl.length));
    await expect(page.getByTestId('topology-node-global')).toBeVisible();
    await expect(page.getByText('Ready').first()).toBeVisible();
    await screenshot(page, 'ci-environment');

    const closed = await runJob(
      githubSteps(workflow.jobs.cleanup),
      {
        ...githubEnv(workflow.jobs.cleanup, context),
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_HEAD_REF: branch,
      },
      work,
    );
    expect(closed[0].stdout).toContain(`${name}: destroyed`);
    const gone = await request.get(api(`/${name}`), { headers });
    expect(
      gone.status() === 404 || Boolean((await gone.json()).destroyedAt),
    ).toBe(true);
  });

  test('GitLab CI: a push creates it, the next commit deploys its version, stopping the environment destroys it', async ({
    request,
  }) => {
    const pipeline = parse(snippet('gitlab'));
    const branch = `feature/gl-${suffix}`;
    const name = `feature-gl-${suffix}`;
    const dir = checkout(name);
    const predefined = (sha: string) => ({
      ARCHIPELAGO_URL: baseUrl,
      ARCHIPELAGO_TOKEN: token,
      CI_COMMIT_BRANCH: branch,
      CI_COMMIT_REF_NAME: branch,
      CI_COMMIT_REF_SLUG: name,
      CI_DEFAULT_BRANCH: 'main',
      CI_COMMIT_SHORT_SHA: sha,
    });
    const deploy = pipeline['deploy-environment'];
    const [created] = await runJob(
      deploy.script,
      gitlabEnv(deploy, predefined('1a2b3c4d')),
      dir,
    );
    expect(created.stdout).toContain(`${name}: created`);
    const [changed, waited] = await runJob(
      deploy.script,
      gitlabEnv(deploy, predefined('5e6f7a8b')),
      dir,
    );
    expect(changed.stdout).toMatch(
      new RegExp(`^${name}: changed \\(operation apply [^ ]+, revision 2\\)`),
    );
    expect(waited.stdout).toContain(`${name}: Ready - global 5e6f7a8b (Ready)`);
    const revisions = await (
      await request.get(api(`/${name}/revisions`), { headers })
    ).json();
    expect(revisions.items[0]).toMatchObject({
      revision: 2,
      reason: 'apply: global',
      createdBy: 'service:ci',
    });

    const stop = pipeline['stop-environment'];
    expect(stop.environment.action).toBe('stop');
    expect(deploy.environment.on_stop).toBe('stop-environment');
    const [stopped] = await runJob(
      stop.script,
      gitlabEnv(stop, predefined('5e6f7a8b')),
      work,
    );
    expect(stopped.stdout).toContain(`${name}: destroyed`);
    // Stopping twice (a retried job) is not an error.
    const [twice] = await runJob(
      stop.script,
      gitlabEnv(stop, predefined('5e6f7a8b')),
      work,
    );
    expect(twice.stdout).toContain(`${name}: already gone`);
  });

  test('a refused apply names each field and exits 1; the environment is unchanged', async ({
    request,
  }) => {
    const name = `ci-refused-${suffix}`;
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'env.yaml'),
      'owner: group:default/backend\npurpose: staging\nservices:\n  - name: global\n    replicas: 99\n',
    );
    const r = await run(
      `archipelago env apply -f env.yaml --name ${name}`,
      { ARCHIPELAGO_URL: baseUrl, ARCHIPELAGO_TOKEN: token },
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused (400)');
    expect(r.stderr).toMatch(/\n {2}purpose: /);
    expect(r.stderr).toMatch(/\n {2}services\[0\]\.replicas: /);
    expect((await request.get(api(`/${name}`), { headers })).status()).toBe(
      404,
    );
  });
});
