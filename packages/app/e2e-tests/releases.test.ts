/*
 * A gray release in a real browser (issue #13): from the Topology tab, a developer releases
 * a new http version beside the current one with a Version header rule and a weight, sees both
 * versions with their ready counts, changes the weight, and promotes the new one; the HTTPRoute
 * the cluster stored follows each step. Screenshots go to docs/releases.md.
 */
import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { guestToken, openAsGuest, operationOutcome } from './session';
import { screenshot } from './screenshot';

test.setTimeout(300_000);

const suffix = Date.now().toString(36).slice(-5);
const name = `gray-${suffix}`;
const root = path.resolve(__dirname, '../../..');
const cluster = process.env.ARCHIPELAGO_E2E_CLUSTER ?? 'dev';

let auth: Record<string, string>;
let page: Page;

/** The HTTPRoute of the service as the API server stored it: "header → backend=weight". */
function storedRoute(service: string): string[] {
  const kubectl = execFileSync(
    path.join(root, 'scripts/cluster/cluster.sh'),
    ['kubeconfig', '--name', cluster],
    { encoding: 'utf8' },
  ).trim();
  const bin = execFileSync(path.join(root, 'scripts/cluster/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  const route = JSON.parse(
    execFileSync(
      path.join(bin, 'kubectl'),
      [
        '--kubeconfig',
        kubectl,
        'get',
        'httproute',
        service,
        '-n',
        `env-${name}`,
        '-o',
        'json',
      ],
      { encoding: 'utf8' },
    ),
  );
  return route.spec.rules.map(
    (r: any) =>
      `${r.matches[0].headers?.[0]?.value ?? '*'} → ${r.backendRefs
        .map((b: any) => `${b.name}=${b.weight}`)
        .join(',')}`,
  );
}

const open = (path_: string) => openAsGuest(page, path_);
const outcome = (type: string) => operationOutcome(page, type);
const version = (v: string) => page.getByTestId(`version-global-${v}`);

test.describe.serial('gray releases in the portal', () => {
  test.beforeAll(async ({ browser, request }, testInfo) => {
    auth = { Authorization: `Bearer ${await guestToken(request)}` };
    const res = await request.post('/api/environments/environments', {
      headers: auth,
      data: {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [
          {
            name: 'global',
            version: '1.0.0000',
            ingress: { host: `${name}.dev.local` },
          },
          // A socket server that calls it: its pods never change with global's release.
          {
            name: 'gateway',
            version: '1.0.0000',
            replicas: 1,
            dependsOn: ['global'],
          },
        ],
      },
    });
    expect(res.status(), await res.text()).toBe(202);
    const { baseURL } = testInfo.project.use;
    page = await browser.newPage({
      baseURL,
      viewport: { width: 1440, height: 1100 },
    });
  });

  test.afterAll(async ({ request }) => {
    await request.delete(`/api/environments/environments/${name}`, {
      headers: auth,
    });
    await page?.close();
  });

  test('starts a release with a Version header rule and a weight, and shows both versions', async () => {
    await open(`/environments/${name}/topology`);
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'global' }) });
    await expect(row).toContainText('Ready', { timeout: 120_000 });
    await page.getByRole('button', { name: 'Release global' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New version').fill('1.0.0001');
    // The header follows the version: clients send the version they were built for.
    await expect(dialog.getByLabel('Version header')).toHaveValue('1.0.0001');
    await dialog.getByLabel('Weight (%)').fill('10');
    await dialog.getByRole('button', { name: 'Start release' }).click();
    expect(await outcome('Start release')).toContain('Succeeded');
    await expect(version('1.0.0000')).toContainText('primary · 90%');
    await expect(version('1.0.0001')).toContainText('10% · Version: 1.0.0001');
    await expect(version('1.0.0001')).toContainText('1/1 ready');
    await expect(
      page.getByTestId('topology-version-global-1.0.0001'),
    ).toBeVisible();
    expect(storedRoute('global')).toEqual([
      '1.0.0001 → global-v1-0-0001=1',
      '* → global-v1-0-0000=90,global-v1-0-0001=10',
    ]);
    await screenshot(page, 'releases-gray');
    // The socket server that calls global kept its pod.
    const gateway = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'gateway' }) });
    await expect(gateway).toContainText('1.0.0000');
  });

  test('refuses a weight over 100 by field, then changes the weight', async () => {
    await page.getByRole('button', { name: 'Weight global 1.0.0001' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Weight (%)').fill('150');
    await dialog.getByRole('button', { name: 'Set weight' }).click();
    await expect(dialog).toContainText('must be at most 100');
    await dialog.getByLabel('Weight (%)').fill('50');
    await dialog.getByRole('button', { name: 'Set weight' }).click();
    expect(await outcome('Change weight')).toContain('Succeeded');
    await expect(version('1.0.0001')).toContainText('50%');
    expect(storedRoute('global')[1]).toBe(
      '* → global-v1-0-0000=50,global-v1-0-0001=50',
    );
  });

  test('promotes the new version: it becomes the only one', async () => {
    await page.getByRole('button', { name: 'Promote global 1.0.0001' }).click();
    // It asks first, saying what goes.
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('1.0.0000');
    await dialog.getByRole('button', { name: 'Promote' }).click();
    expect(await outcome('Promote')).toContain('Succeeded');
    const row = page
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'global' }) });
    await expect(row).toContainText('1.0.0001');
    await expect(version('1.0.0000')).toHaveCount(0);
    expect(storedRoute('global')).toEqual(['* → global-v1-0-0001=100']);
    await screenshot(page, 'releases-promoted');
    // History shows every step.
    await open(`/environments/${name}/history`);
    for (const text of ['Start release', 'Change weight', 'Promote'])
      await expect(page.getByText(text).first()).toBeVisible();
  });
});
