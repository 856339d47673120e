/*
 * The environment templates work end to end in the running demo app, through the scaffolder
 * backend's API, against the local cluster: each in a dry run, then for real (integration, then
 * a feature environment on it, then a minimal one). The catalog shows the environments as
 * Resources with their relations, and drops them after destroy.
 */
import { test, expect, APIRequestContext } from '@playwright/test';
import { guestToken } from './session';

test.setTimeout(420_000);

const suffix = Date.now().toString(36).slice(-5);
const integration = `int-${suffix}`;
const branch = `feature/E2E_${suffix}`;
const feature = `feature-e2e-${suffix}`;
const minimal = `min-${suffix}`;

let auth: Record<string, string>;

async function template(request: APIRequestContext, name: string) {
  const res = await request.get(
    `/api/catalog/entities/by-name/template/default/${name}`,
    { headers: auth },
  );
  expect(res.status(), `template ${name} is in the catalog`).toBe(200);
  return res.json();
}

async function dryRun(
  request: APIRequestContext,
  name: string,
  values: Record<string, unknown>,
) {
  const res = await request.post('/api/scaffolder/v2/dry-run', {
    headers: auth,
    data: {
      template: await template(request, name),
      values,
      secrets: {},
      directoryContents: [],
    },
  });
  const body = await res.json();
  return {
    status: res.status(),
    // A failed dry run answers with the error the step threw.
    error: String(body.error?.message ?? ''),
    log: ((body.log ?? []) as any[]).map(l => String(l.body?.message ?? '')),
    output: body.output,
  };
}

/** Runs a template for real and returns the finished task with its log. */
async function run(
  request: APIRequestContext,
  name: string,
  values: Record<string, unknown>,
) {
  const res = await request.post('/api/scaffolder/v2/tasks', {
    headers: auth,
    data: { templateRef: `template:default/${name}`, values },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = await res.json();
  let task: any;
  await expect
    .poll(
      async () => {
        task = await (
          await request.get(`/api/scaffolder/v2/tasks/${id}`, {
            headers: auth,
          })
        ).json();
        return task.status;
      },
      { timeout: 240_000, intervals: [1000] },
    )
    .toMatch(/^(completed|failed|cancelled)$/);
  const events = await (
    await request.get(`/api/scaffolder/v2/tasks/${id}/events`, {
      headers: auth,
    })
  ).json();
  return {
    status: task.status as string,
    // The task's outputs arrive with its completion event.
    output: (events as any[]).find(e => e.type === 'completion')?.body?.output,
    log: (events as any[])
      .filter(e => e.type === 'log')
      .map(e => String(e.body.message)),
  };
}

async function catalogEntity(request: APIRequestContext, name: string) {
  const res = await request.get(
    `/api/catalog/entities/by-name/resource/default/${name}`,
    { headers: auth },
  );
  return res.status() === 200 ? res.json() : undefined;
}

test.describe.serial('environment templates', () => {
  test.beforeAll(async ({ request }) => {
    auth = { Authorization: `Bearer ${await guestToken(request)}` };
  });

  test.afterAll(async ({ request }) => {
    for (const name of [minimal, feature, integration]) {
      await request.delete(`/api/environments/environments/${name}`, {
        headers: auth,
      });
    }
  });

  test('each template validates, renders and checks capacity in a dry run', async ({
    request,
  }) => {
    const int = await dryRun(request, 'integration-environment', {
      name: integration,
      owner: 'group:default/backend',
    });
    expect(int.status, int.error).toBe(200);
    expect(int.log.join('\n')).toContain(
      `would create Namespace env-${integration}`,
    );
    expect(int.log.join('\n')).toContain('would create CronJob daily-reset');
    const feat = await dryRun(request, 'feature-environment', {
      branch,
      owner: 'group:default/backend',
      ttl: '1d',
      // The base does not exist yet: a dry run of a feature environment needs it.
      base: 'no-such-base',
      services: [{ component: 'component:default/game', version: '20210501' }],
    });
    expect(feat.status).not.toBe(200);
    expect(feat.error).toContain(
      `Creating environment "${feature}" was refused; fix these inputs:\n  - base: there is no environment named "no-such-base"`,
    );
    const min = await dryRun(request, 'minimal-environment', {
      name: minimal,
      component: 'component:default/shop-api',
      owner: 'user:default/guest',
      ttl: '2h',
    });
    expect(min.status, min.error).toBe(200);
    expect(min.log.join('\n')).toContain(
      'would create Deployment shop-api-v2-3-0',
    );
    // Nothing was created.
    const list = await request.get('/api/environments/environments', {
      headers: auth,
    });
    expect((await list.json()).items.map((e: any) => e.name)).not.toEqual(
      expect.arrayContaining([integration]),
    );
  });

  test('the integration template brings the whole studio stack to Ready', async ({
    request,
  }) => {
    const task = await run(request, 'integration-environment', {
      name: integration,
      owner: 'group:default/backend',
      overrides: [{ component: 'component:default/global', version: '2.3.1' }],
    });
    expect(task.log.join('\n')).toContain(
      `Environment "${integration}" is Ready`,
    );
    expect(task.status).toBe('completed');
    const env = await (
      await request.get(`/api/environments/environments/${integration}`, {
        headers: auth,
      })
    ).json();
    expect(env.status.phase).toBe('Ready');
    expect(env.spec.services.map((s: any) => s.name).sort()).toEqual([
      'daily-reset',
      'game',
      'gateway',
      'global',
      'matching',
      'shop-api',
    ]);
    expect(
      env.spec.services.find((s: any) => s.name === 'global').version,
    ).toBe('2.3.1');
  });

  test('the feature template names the environment after the branch and falls back to integration', async ({
    request,
  }) => {
    const task = await run(request, 'feature-environment', {
      branch,
      owner: 'group:default/backend',
      ttl: '1d',
      base: integration,
      services: [{ component: 'component:default/game', version: '20210501' }],
    });
    expect(task.status, task.log.join('\n')).toBe('completed');
    expect(task.output.links[0].url).toMatch(
      new RegExp(`/environments/${feature}$`),
    );
    const made = await (
      await request.get(`/api/environments/environments/${feature}`, {
        headers: auth,
      })
    ).json();
    expect(made.spec.branch).toBe(branch);
    const resolved = await (
      await request.get(
        `/api/environments/environments/${feature}/resolve/global`,
        { headers: auth },
      )
    ).json();
    expect(resolved.answeredBy).toBe(integration);

    // The catalog shows it as a Resource that depends on its component and its base.
    let entity: any;
    await expect
      .poll(async () => (entity = await catalogEntity(request, feature)), {
        timeout: 90_000,
        intervals: [2000],
      })
      .toBeTruthy();
    expect(entity.spec).toMatchObject({
      type: 'environment',
      owner: 'group:default/backend',
    });
    const dependsOn = entity.relations
      .filter((r: any) => r.type === 'dependsOn')
      .map((r: any) => r.targetRef);
    expect(dependsOn).toEqual(
      expect.arrayContaining([
        'component:default/game',
        `resource:default/${integration}`,
      ]),
    );
  });

  test('the minimal template runs one service alone, and a second run explains the name is taken', async ({
    request,
  }) => {
    const values = {
      name: minimal,
      component: 'component:default/shop-api',
      owner: 'user:default/guest',
      ttl: '2h',
    };
    const first = await run(request, 'minimal-environment', values);
    expect(first.status, first.log.join('\n')).toBe('completed');
    const again = await run(request, 'minimal-environment', values);
    expect(again.status).toBe('failed');
    expect(again.log.join('\n')).toContain(
      `name: an environment named "${minimal}" already exists`,
    );
  });

  test('destroyed environments leave the catalog', async ({ request }) => {
    for (const name of [minimal, feature]) {
      const res = await request.delete(
        `/api/environments/environments/${name}`,
        {
          headers: auth,
        },
      );
      expect(res.status()).toBe(202);
    }
    for (const name of [minimal, feature]) {
      await expect
        .poll(() => catalogEntity(request, name), {
          timeout: 120_000,
          intervals: [2000],
        })
        .toBeUndefined();
    }
    expect(await catalogEntity(request, integration)).toBeTruthy();
  });
});
