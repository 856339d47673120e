/*
 * Game-server islands in a real browser (issue #12): a tester starts islands from the Islands
 * tab, sets the environment's clock, sees an island that crashed stay down with its reason, and
 * restarts it with the same id and ports. Screenshots go to docs/islands.md.
 */
import { test, expect, Page, APIRequestContext } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { guestToken, openAsGuest, operationOutcome } from './session';
import { screenshot } from './screenshot';

test.setTimeout(300_000);

const suffix = Date.now().toString(36).slice(-5);
const name = `islands-${suffix}`;
const root = path.resolve(__dirname, '../../..');
const cluster = process.env.ARCHIPELAGO_E2E_CLUSTER ?? 'dev';

let auth: Record<string, string>;
let page: Page;

async function islands(request: APIRequestContext) {
  const res = await request.get(
    `/api/environments/environments/${name}/islands`,
    { headers: auth },
  );
  expect(res.status()).toBe(200);
  return (await res.json()).items as any[];
}

const open = (path_: string) => openAsGuest(page, path_);

const outcome = (type: string) => operationOutcome(page, type);

const islandRow = (id: number) =>
  page.getByRole('row').filter({ has: page.getByTestId(`island-${id}`) });

test.describe.serial('islands in the portal', () => {
  test.beforeAll(async ({ browser, request }, testInfo) => {
    auth = { Authorization: `Bearer ${await guestToken(request)}` };
    const res = await request.post('/api/environments/environments', {
      headers: auth,
      data: {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'altraserver', island: { count: 1 } }],
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

  test('starts islands from the Islands tab, each with its own id and host ports', async ({
    request,
  }) => {
    await open(`/environments/${name}/islands`);
    await expect(page.getByRole('tab', { name: 'Islands' })).toBeVisible();
    const [first] = await islands(request);
    await expect(islandRow(first.id)).toContainText('Ready', {
      timeout: 120_000,
    });
    await page.getByLabel('Islands', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Add islands' }).click();
    expect(await outcome('Add islands')).toContain('Succeeded');
    const all = await islands(request);
    expect(all).toHaveLength(3);
    for (const i of all) {
      await expect(islandRow(i.id)).toContainText('Ready', { timeout: 60_000 });
      // The connect address: the node's address and a host port.
      await expect(islandRow(i.id)).toContainText(i.connect[0].address);
    }
    const ports = all.flatMap(i => i.ports.map((p: any) => p.port));
    expect(new Set(ports).size).toBe(9);
    await expect(page.getByText(/used, \d+ free in 7000–7999/)).toBeVisible();
    await screenshot(page, 'islands');
  });

  test('sets the environment’s clock, and each island shows its fake time ticking', async () => {
    await page.getByRole('button', { name: 'Set environment clock' }).click();
    await page.getByLabel('Start at a time, then run').check();
    await page.getByLabel('Start', { exact: true }).fill('2021-09-18 23:30:07');
    await screenshot(page, 'islands-clock');
    await page.getByRole('button', { name: 'Set clock' }).click();
    expect(await outcome('Set clock')).toContain('Succeeded');
    const clock = page.locator('[data-testid$="-time"]').first();
    await expect(clock).toContainText('2021-09-18 23:3', { timeout: 30_000 });
    const before = await clock.textContent();
    await expect
      .poll(() => clock.textContent(), { timeout: 5000 })
      .not.toBe(before);
  });

  test('an island that crashed stays down with its reason, and a restart brings it back with the same id and ports', async ({
    request,
  }) => {
    const [victim] = await islands(request);
    execFileSync(
      path.join(root, 'scripts/cluster/cluster.sh'),
      ['fail-pod', `env-${name}/${victim.pod}`, 'exit', '--name', cluster],
      { stdio: 'pipe' },
    );
    const row = islandRow(victim.id);
    await expect(row).toContainText('Down: exited with code 1', {
      timeout: 60_000,
    });
    await screenshot(page, 'islands-down');
    // It stays down: nothing recreates it.
    await page.waitForTimeout(5000);
    await expect(row).toContainText('Down');
    await row
      .getByRole('button', { name: `Restart island ${victim.id}` })
      .click();
    expect(await outcome('Restart island')).toContain('Succeeded');
    await expect(row).toContainText('Ready', { timeout: 60_000 });
    const back = (await islands(request)).find(i => i.id === victim.id);
    expect(back.ports).toEqual(victim.ports);
    expect(back.pod).not.toBe(victim.pod);
  });
});
