/*
 * Alerts (issue #15 §2) in the browser: the owner watches an environment, shortens its
 * crash-loop rule and sends its alerts to the studio's Slack channel; a pod that crash-loops
 * then reaches Slack (a local receiver, app-config.e2e.yaml) and the Alerts tab's history.
 */
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { guestToken, openAsGuest } from './session';
import { screenshot } from './screenshot';

const root = path.resolve(__dirname, '../../..');
const cluster = process.env.ARCHIPELAGO_E2E_CLUSTER ?? 'dev';
const name = `alerted-${Date.now().toString(36).slice(-5)}`;

test('a crash-looping pod reaches the chosen chat channel and the Alerts tab', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  // What Slack received.
  const received: any[] = [];
  const slack = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => {
      body += c;
    });
    req.on('end', () => {
      received.push({ path: req.url, body: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise<void>(r => slack.listen(7199, '127.0.0.1', r));
  const auth = { Authorization: `Bearer ${await guestToken(request)}` };
  try {
    const res = await request.post('/api/environments/environments', {
      headers: auth,
      data: {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      },
    });
    expect(res.status(), await res.text()).toBe(202);
    await openAsGuest(page, `/environments/${name}/alerts`);
    await page.getByRole('button', { name: 'Watch' }).click();
    await expect(page.getByRole('button', { name: 'Unwatch' })).toBeVisible();

    await page
      .getByRole('button', { name: 'Change rules and channels' })
      .click();
    await page.getByRole('textbox', { name: 'crashLoop' }).fill('10s');
    // Instead of the configured defaults (none here), the studio's Slack channel.
    await page
      .getByRole('checkbox', { name: 'the configured defaults' })
      .uncheck();
    await page.getByRole('checkbox', { name: 'studio-slack (slack)' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    const crashRow = page.getByRole('row').filter({ hasText: 'crash-looping' });
    await expect(crashRow).toContainText('10s');
    await expect(crashRow).toContainText('this environment');

    await expect
      .poll(
        async () =>
          (
            await (
              await request.get(`/api/environments/environments/${name}/pods`, {
                headers: auth,
              })
            ).json()
          ).items?.[0]?.phase,
        { timeout: 120_000 },
      )
      .toBe('Running');
    const pod = (
      await (
        await request.get(`/api/environments/environments/${name}/pods`, {
          headers: auth,
        })
      ).json()
    ).items[0].name;
    execFileSync(
      path.join(root, 'scripts/cluster/cluster.sh'),
      ['fail-pod', `env-${name}/${pod}`, 'crashloop', '--name', cluster],
      { stdio: 'pipe' },
    );
    await expect
      .poll(
        () =>
          received.filter(r =>
            JSON.stringify(r.body).includes(`is crash-looping in ${name}`),
          ).length,
        { timeout: 120_000 },
      )
      .toBe(1);
    const message = JSON.stringify(received[0].body);
    expect(message).toContain(`/environments/${name}`);

    await page.reload();
    const firing = page.getByRole('row').filter({ hasText: 'Firing' });
    await expect(firing.first()).toContainText(pod);
    await screenshot(page, 'environment-alerts');
  } finally {
    slack.close();
    await request.delete(`/api/environments/environments/${name}`, {
      headers: auth,
    });
  }
});
