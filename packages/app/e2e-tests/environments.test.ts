/*
 * The environments pages in a real browser, against the running demo app and the local
 * cluster: a feature environment is created through its software template, comes up, streams
 * its logs, is stopped and started, breaks and shows why, is rolled back and destroyed. Every
 * update the page shows arrives through signals (the plugin never polls), so each wait here
 * that passes proves a live update. Screenshots of each view go to the docs.
 */
import {
  test,
  expect,
  Page,
  APIRequestContext,
  Request as PlaywrightRequest,
} from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { guestToken, openAsGuest, operationOutcome } from './session';
import { screenshot, screenshotDir } from './screenshot';

test.setTimeout(300_000);

const suffix = Date.now().toString(36).slice(-5);
const base = `base-${suffix}`;
const branch = `feature/ui-${suffix}`;
const feature = `feature-ui-${suffix}`;
const foreign = `design-${suffix}`;
const big = `big-${suffix}`;
const root = path.resolve(__dirname, '../../..');
const cluster = process.env.ARCHIPELAGO_E2E_CLUSTER ?? 'dev';

/** Figures measured along the way, printed at the end and kept with the test results. */
const timings: Record<string, number> = {};

let auth: Record<string, string>;
let page: Page;

async function envOf(request: APIRequestContext, name: string) {
  const res = await request.get(`/api/environments/environments/${name}`, {
    headers: auth,
  });
  return res.status() === 200 ? res.json() : undefined;
}

/** Creates an environment through the REST API (for the ones this story does not create). */
/** A service's token (app-config.e2e.yaml): services create for any owner, users only for theirs. */
const serviceAuth = { Authorization: 'Bearer e2e-platform-service-token' };

async function createByApi(
  request: APIRequestContext,
  spec: Record<string, unknown>,
  headers: Record<string, string> = auth,
) {
  const res = await request.post('/api/environments/environments', {
    headers,
    data: spec,
  });
  expect(res.status(), await res.text()).toBe(202);
  let env: any;
  await expect
    .poll(
      async () => {
        env = await envOf(request, spec.name as string);
        return env?.status.phase;
      },
      { timeout: 120_000, intervals: [500] },
    )
    .toMatch(/^(Ready|Failed)$/);
  expect(env.lastOperation?.error ?? env.status.phase).toBe('Ready');
}

const open = (path_: string) => openAsGuest(page, path_);

const headerStatus = () =>
  page
    .locator('header')
    .getByText(
      /^(Creating|Ready|Degraded|Stopped|Failed|Destroying|Destroyed)$/,
    );

/** The row of a service in the topology tab's services table. */
const serviceRow = (name: string) =>
  page.getByRole('row').filter({
    has: page.getByRole('link', { name, exact: true }),
  });

const outcome = (type: string) => operationOutcome(page, type);

test.describe.serial('environments in the portal', () => {
  test.beforeAll(async ({ browser, request }, testInfo) => {
    auth = { Authorization: `Bearer ${await guestToken(request)}` };
    await createByApi(request, {
      name: base,
      owner: 'group:default/backend',
      purpose: 'integration',
      services: [{ name: 'global' }, { name: 'matching' }],
    });
    // One page for the whole story, with the project's settings (base URL, viewport).
    // A taller window than the default, so the screenshots show a whole view.
    const { baseURL } = testInfo.project.use;
    page = await browser.newPage({
      baseURL,
      viewport: { width: 1440, height: 1100 },
    });
  });

  test.afterAll(async ({ request }) => {
    // As a service: the guest may not destroy the design group's environment.
    for (const name of [feature, foreign, big, base]) {
      await request.delete(`/api/environments/environments/${name}`, {
        headers: serviceAuth,
      });
    }
    fs.mkdirSync(screenshotDir, { recursive: true });
    fs.writeFileSync(
      path.join(screenshotDir, '..', 'timings.json'),
      JSON.stringify(timings, null, 2),
    );
    process.stdout.write(
      `environments UI timings (ms): ${JSON.stringify(timings)}\n`,
    );
    await page?.close();
  });

  test('creates a feature environment through its template', async () => {
    await open('/create/templates/default/feature-environment');
    await page.getByLabel('Branch').fill(branch);
    const owner = page.getByRole('textbox', { name: 'Owner' });
    await owner.click();
    await owner.fill('backend');
    await page.getByRole('option', { name: 'Backend team' }).click();
    await page.getByLabel('Base environment').fill(base);
    await screenshot(page, 'template-feature');
    await page.getByRole('button', { name: 'Next' }).click();

    // The picker offers the components that have a service definition.
    const service = page.getByRole('textbox', { name: 'Service' }).first();
    await service.click();
    await expect(page.getByRole('option', { name: 'Gateway' })).toBeVisible();
    await service.fill('game');
    await page
      .getByRole('option', { name: 'Game server', exact: true })
      .click();
    await page.getByLabel('Version').first().fill('20211001');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    // The task page follows the action's log until the environment is Ready.
    const openLink = page.getByRole('link', { name: 'Open the environment' });
    await expect(openLink).toBeVisible({ timeout: 240_000 });
    await screenshot(page, 'template-task');
    // The template's output links to the environment's page: a stable deep link.
    const href = await openLink.getAttribute('href');
    expect(href).toMatch(new RegExp(`/environments/${feature}$`));
    await page.goto(href!);
    await expect(page).toHaveURL(new RegExp(`/environments/${feature}$`));
  });

  test('shows the topology turn Ready, with what falls back to the base', async () => {
    await expect(
      page.getByRole('heading', { name: feature, exact: true }),
    ).toBeVisible();
    await expect(headerStatus()).toHaveText('Ready', { timeout: 120_000 });
    const game = page.getByTestId('topology-node-game');
    await expect(game).toHaveAttribute('data-health', 'Ready');
    await expect(game).toContainText('20211001');
    await expect(game).toContainText('1/1 ready');
    const global = page.getByTestId('topology-node-global');
    await expect(global).toContainText(`from ${base}`);
    await expect(page.getByText(`falls back to ${base}`).first()).toBeVisible();
    await screenshot(page, 'environment-topology');
  });

  test('opens a deep link to a pod’s log and sees lines arrive', async () => {
    await open(
      `/environments/${feature}/logs?pod=game-v20211001-0&container=game&since=5m`,
    );
    const viewer = page.getByTestId('log-viewer');
    await expect(viewer).toContainText(
      /server tick|handled request|match queue|registered|cron heartbeat/,
    );
    await expect(page.getByTestId('log-state')).toHaveAttribute(
      'data-state',
      'streaming',
    );
    // The simulated game server writes a line a second; the stream brings them in.
    const lastLine = async () =>
      (await viewer.textContent())?.match(/\d{4}-\d\d-\d\dT[\d:.]+Z/g)?.at(-1);
    const first = await lastLine();
    await expect.poll(lastLine, { timeout: 15_000 }).not.toBe(first);
    await screenshot(page, 'environment-logs');
    // What the view shows is in its URL.
    await expect(page).toHaveURL(
      /pod=game-v20211001-0&container=game&since=5m/,
    );
  });

  test('stops and starts a service, and the page follows by itself', async () => {
    await open(`/environments/${feature}`);
    const row = serviceRow('game');
    await expect(row).toContainText('Ready');
    // What the page reads of this environment while it follows the change.
    const reads: string[] = [];
    const onRequest = (r: PlaywrightRequest) => {
      const u = new URL(r.url());
      if (
        r.method() === 'GET' &&
        u.pathname.startsWith(`/api/environments/environments/${feature}`)
      )
        reads.push(`${u.pathname}${u.search}`);
    };
    page.on('request', onRequest);

    let t = Date.now();
    await row.getByRole('button', { name: 'Stop game', exact: true }).click();
    await expect(row).toContainText('Stopped', { timeout: 60_000 });
    timings.stopToStoppedShown = Date.now() - t;
    page.off('request', onRequest);
    // Every load of the page is one request: the environment with its topology.
    expect(reads).toContain(
      `/api/environments/environments/${feature}?include=topology`,
    );
    expect(reads.filter(r => r.endsWith('/topology'))).toEqual([]);
    expect(await outcome('Stop')).toContain('Succeeded');
    await expect(page.getByTestId('topology-node-game')).toHaveAttribute(
      'data-health',
      'Stopped',
    );
    await screenshot(page, 'environment-stopped');

    t = Date.now();
    await row.getByRole('button', { name: 'Start game', exact: true }).click();
    await expect(row).toContainText('Ready', { timeout: 60_000 });
    timings.startToReadyShown = Date.now() - t;
    expect(await outcome('Start')).toContain('Succeeded');
    await expect(headerStatus()).toHaveText('Ready');
  });

  test('shows Degraded with the reason when a pod fails', async () => {
    const t = Date.now();
    execFileSync(
      path.join(root, 'scripts/cluster/cluster.sh'),
      [
        'fail-pod',
        `env-${feature}/game-v20211001-0`,
        'crashloop',
        '--name',
        cluster,
      ],
      { stdio: 'pipe' },
    );
    await expect(headerStatus()).toHaveText('Degraded', { timeout: 60_000 });
    timings.podFailureToDegradedShown = Date.now() - t;
    await expect(serviceRow('game')).toContainText('CrashLoopBackOff');
    await screenshot(page, 'environment-degraded');

    await page.getByRole('tab', { name: 'Pods' }).click();
    const pod = page.getByRole('row').filter({ hasText: 'game-v20211001-0' });
    await expect(pod).toContainText('CrashLoopBackOff (exit code 1');
    await screenshot(page, 'environment-pods');

    // Restarting the service replaces the pod; the new one is healthy.
    await page.getByRole('tab', { name: 'Topology' }).click();
    await serviceRow('game')
      .getByRole('button', { name: 'Restart game', exact: true })
      .click();
    await expect(headerStatus()).toHaveText('Ready', { timeout: 120_000 });
  });

  test('deploys a version, then rolls back to the first revision', async () => {
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New version of game').fill('20211101');
    await screenshot(page, 'environment-deploy');
    await dialog.getByRole('button', { name: 'Deploy' }).click();
    expect(await outcome('Deploy')).toContain('Succeeded');
    await expect(page.getByTestId('topology-node-game')).toContainText(
      '20211101',
    );

    await page.getByRole('tab', { name: 'History' }).click();
    await page
      .getByRole('button', { name: 'Compare with previous #2' })
      .click();
    await expect(page.getByTestId('revision-diff')).toContainText(
      '+     version: "20211101"',
    );
    await page
      .getByRole('button', { name: 'Roll back to this revision #1' })
      .click();
    const rollback = page.getByRole('dialog');
    await expect(rollback.getByTestId('revision-diff')).toContainText(
      'version: "20211001"',
    );
    await screenshot(page, 'environment-rollback');
    await rollback.getByRole('button', { name: 'Roll back' }).click();
    expect(await outcome('Roll back')).toContain('Succeeded');
    await expect(
      page.getByRole('cell', { name: '#3 (current)' }),
    ).toBeVisible();
    await screenshot(page, 'environment-history');
    await page.getByRole('tab', { name: 'Topology' }).click();
    await expect(page.getByTestId('topology-node-game')).toContainText(
      '20211001',
    );
  });

  test('shows events and the registry, including what the base answers', async () => {
    await page.getByRole('tab', { name: 'Events' }).click();
    await expect(page.getByRole('row').nth(1)).toBeVisible();
    await screenshot(page, 'environment-events');
    await page.getByRole('tab', { name: 'Registry' }).click();
    await expect(
      page.getByRole('cell', { name: 'game-v20211001-0' }),
    ).toBeVisible();
    const fallback = page
      .getByRole('row')
      .filter({ hasText: `${feature} → ${base}` });
    await expect(fallback.first()).toContainText('global');
    await screenshot(page, 'environment-registry');
  });

  test('lists environments, and shows them on catalog entities', async ({
    request,
  }) => {
    await open(`/environments?q=${suffix}`);
    const row = page.getByRole('row').filter({
      has: page.getByRole('link', { name: feature }),
    });
    await expect(row).toContainText('Ready');
    await expect(row).toContainText('game 20211001');
    await expect(row).toContainText(/in 3 days|in 2 days|in 72 hr/);
    await screenshot(page, 'environments-list');

    await open('/catalog/default/component/game/environments');
    const onComponent = page.getByRole('row').filter({
      has: page.getByRole('link', { name: feature }),
    });
    await expect(onComponent).toContainText('20211001');
    await screenshot(page, 'entity-component-environments');

    // The catalog module publishes environments as Resources on its schedule.
    await expect
      .poll(
        async () =>
          (
            await request.get(
              `/api/catalog/entities/by-name/resource/default/${feature}`,
              { headers: auth },
            )
          ).status(),
        { timeout: 60_000, intervals: [1000] },
      )
      .toBe(200);
    await open(`/catalog/default/resource/${feature}/environment`);
    await expect(page.getByTestId('topology-node-game')).toBeVisible();
    await screenshot(page, 'entity-resource-environment');
  });

  test('speaks Simplified Chinese when the user picks it', async () => {
    await page.evaluate(() => localStorage.setItem('language', 'zh'));
    await open(`/environments/${feature}`);
    await expect(page.getByRole('tab', { name: '拓扑' })).toBeVisible();
    await expect(
      headerStatus().or(page.locator('header').getByText('就绪')),
    ).toBeVisible();
    await expect(page.getByText('回退到').first()).toBeVisible();
    await screenshot(page, 'environment-topology-zh');
    await open('/environments');
    await expect(
      page.getByRole('heading', { name: '环境', exact: true }),
    ).toBeVisible();
    await screenshot(page, 'environments-list-zh');
    await page.evaluate(() => localStorage.setItem('language', 'en'));
  });

  test('disables what the user may not do, and says why', async ({
    request,
  }) => {
    // The guest may not create for design...
    const refused = await request.post('/api/environments/environments', {
      headers: auth,
      data: {
        name: foreign,
        owner: 'group:default/design',
        purpose: 'sandbox',
        services: [{ name: 'shop-api' }],
      },
    });
    expect(refused.status()).toBe(403);
    expect((await refused.json()).error.message).toMatch(
      /^owner: you may create environments only for yourself or a group you belong to, not for group:default\/design/,
    );
    // ...a service may.
    await createByApi(
      request,
      {
        name: foreign,
        owner: 'group:default/design',
        purpose: 'sandbox',
        services: [{ name: 'shop-api' }],
      },
      serviceAuth,
    );
    await open(`/environments/${foreign}`);
    await expect(page.getByTestId('topology-node-shop-api')).toBeVisible();
    // shop-api depends on global, which nothing runs for this environment.
    await expect(page.getByTestId('topology-node-global')).toContainText(
      'not run here, and no base runs it',
    );
    const deploy = page.getByRole('button', { name: 'Deploy', exact: true });
    await expect(deploy).toBeDisabled();
    const reason = page.getByTestId('disabled-reason').first();
    await expect(reason).toHaveAttribute(
      'aria-label',
      /You may not change this environment: the permission policy refuses environments\.environment\.update\. Its owner is group:default\/design\./,
    );
    await reason.hover();
    await expect(page.getByRole('tooltip')).toContainText('You may not change');
    await screenshot(page, 'environment-denied');
    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect(
      page.getByText('You may not read the logs of this environment.'),
    ).toBeVisible();
  });

  test('an environment of 200 pods renders and stays responsive', async ({
    request,
  }) => {
    // Ten services of 20 replicas: two stateless components, each under five names. A
    // performance environment's quota allows 200 pods.
    const names = ['global', 'shop-api'].flatMap(component =>
      ['', '-b', '-c', '-d', '-e'].map(suffix_ => [
        `${component}${suffix_}`,
        component,
      ]),
    );
    await createByApi(request, {
      name: big,
      owner: 'group:default/backend',
      purpose: 'perf',
      base,
      services: names.map(([name, component]) => ({
        name,
        component: `component:default/${component}`,
        replicas: 20,
      })),
    });
    let t = Date.now();
    await open(`/environments/${big}/pods`);
    await expect(page.getByText('Pods (200)')).toBeVisible({ timeout: 60_000 });
    timings.openPodsTabOf200 = Date.now() - t;

    // Showing all 200 rows at once.
    t = Date.now();
    await page.getByRole('button', { name: /50 rows/ }).click();
    await page.getByRole('option', { name: '200' }).click();
    await expect(
      page.getByRole('row').filter({ hasText: 'kwok-node' }),
    ).toHaveCount(200);
    timings.show200Rows = Date.now() - t;
    await screenshot(page, 'environment-200-pods');

    // Live changes to 200 pods arrive while the page keeps answering clicks.
    t = Date.now();
    await page.getByRole('tab', { name: 'Topology' }).click();
    await expect(page.getByTestId('topology-node-shop-api-e')).toBeVisible();
    timings.switchToTopologyOf10Services = Date.now() - t;
    await serviceRow('global-b')
      .getByRole('button', { name: 'Restart global-b', exact: true })
      .click();
    t = Date.now();
    await page.getByRole('tab', { name: 'Pods' }).click();
    await expect(page.getByText('Pods (')).toBeVisible();
    timings.switchToPodsDuringRestart = Date.now() - t;
    expect(await outcome('Restart')).toContain('Succeeded');
  });

  test('destroys the environment once its name is typed', async ({
    request,
  }) => {
    await open(`/environments/${feature}`);
    await page.getByRole('button', { name: 'Destroy', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Destroy' });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${feature} to confirm`).fill(feature);
    await screenshot(page, 'environment-destroy');
    await confirm.click();
    expect(await outcome('Destroy')).toContain('Succeeded');
    await expect(
      page.getByText(/This environment was destroyed/),
    ).toBeVisible();
    const list = await request.get('/api/environments/environments', {
      headers: auth,
    });
    expect(((await list.json()).items as any[]).map(e => e.name)).not.toContain(
      feature,
    );
  });
});
