/*
 * Sleep (issue #15 §3) in the browser: an environment that nobody uses for its sleepAfter
 * (one minute here, its own setting) is stopped and says so on its page; Wake starts it again.
 */
import { test, expect } from '@playwright/test';
import { guestToken, openAsGuest, operationOutcome } from './session';
import { screenshot } from './screenshot';

const name = `sleepy-${Date.now().toString(36).slice(-5)}`;

test('an unused environment falls asleep, and Wake starts it again', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const auth = { Authorization: `Bearer ${await guestToken(request)}` };
  const get = async () =>
    (
      await request.get(`/api/environments/environments/${name}`, {
        headers: auth,
      })
    ).json();
  const res = await request.post('/api/environments/environments', {
    headers: auth,
    data: {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      sleepAfter: '1m',
      services: [{ name: 'global' }],
    },
  });
  expect(res.status(), await res.text()).toBe(202);
  try {
    await expect
      .poll(async () => (await get()).asleep?.services, {
        timeout: 240_000,
        intervals: [2000],
      })
      .toEqual(['global']);
    await openAsGuest(page, `/environments/${name}`);
    await expect(page.getByText(/Asleep since/)).toBeVisible();
    await expect(
      page.getByText(/sleep stopped global\. Its volumes and config are kept/),
    ).toBeVisible();
    await expect(
      page.locator('header').getByText('Stopped', { exact: true }),
    ).toBeVisible();
    await screenshot(page, 'environment-asleep');

    await page.getByRole('button', { name: 'Wake' }).click();
    expect(await operationOutcome(page, 'Start')).toContain('Succeeded');
    await expect(page.getByText(/Asleep since/)).toHaveCount(0);
    await expect(
      page.locator('header').getByText('Ready', { exact: true }),
    ).toBeVisible({ timeout: 60_000 });
    expect((await get()).asleep).toBeUndefined();
  } finally {
    await request.delete(`/api/environments/environments/${name}`, {
      headers: auth,
    });
  }
});
