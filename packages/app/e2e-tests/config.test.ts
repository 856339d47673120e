/*
 * Configuration inherited from the base (seed 001), in the portal: a feature environment's
 * service takes its base's env values and config files, overrides one, and the Config tab says
 * where each value comes from; a later change of the base shows as what a deploy would change.
 */
import { test, expect, APIRequestContext } from '@playwright/test';
import { guestToken, openAsGuest } from './session';
import { screenshot } from './screenshot';

const suffix = Date.now().toString(36).slice(-5);
const base = `cfg-base-${suffix}`;
const feature = `cfg-feat-${suffix}`;

const baseSpec = (dbUrl: string) => ({
  owner: 'group:default/backend',
  purpose: 'integration',
  services: [
    {
      name: 'global',
      env: { REGION: 'eu', DB_URL: dbUrl },
      configFiles: [
        { path: '/etc/global/app.toml', content: 'mode = "integration"' },
      ],
    },
  ],
});

async function settled(
  request: APIRequestContext,
  auth: Record<string, string>,
  name: string,
) {
  await expect
    .poll(
      async () => {
        const env = await (
          await request.get(`/api/environments/environments/${name}`, {
            headers: auth,
          })
        ).json();
        const op = env.lastOperation?.status;
        return op === 'succeeded' || op === 'failed'
          ? `${env.status?.phase}/${op}`
          : 'waiting';
      },
      { timeout: 120_000 },
    )
    .toBe('Ready/succeeded');
}

test('the Config tab shows which values come from the base, and what a deploy would change', async ({
  page,
  request,
}) => {
  const auth = { Authorization: `Bearer ${await guestToken(request)}` };
  const put = (name: string, data: unknown) =>
    request.put(`/api/environments/environments/${name}`, {
      headers: auth,
      data,
    });
  try {
    const b = await put(base, baseSpec('mysql://integration/db'));
    expect(b.status(), await b.text()).toBe(202);
    await settled(request, auth, base);
    const f = await put(feature, {
      owner: 'group:default/backend',
      purpose: 'feature',
      base,
      services: [{ name: 'global', env: { REGION: 'cn-feature' } }],
    });
    expect(f.status(), await f.text()).toBe(202);
    await settled(request, auth, feature);
    // The base moves on: the feature keeps what it pinned until its next deploy.
    const moved = await put(base, baseSpec('mysql://moved/db'));
    expect(moved.status(), await moved.text()).toBe(202);
    await settled(request, auth, base);

    await openAsGuest(page, `/environments/${feature}/config`);
    await expect(page.getByRole('tab', { name: 'Config' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    await expect(page.getByText(`inherits from ${base}`)).toBeVisible();
    const row = (name: string) =>
      page.getByRole('row').filter({ hasText: name });
    await expect(row('DB_URL')).toContainText('mysql://integration/db');
    await expect(row('DB_URL')).toContainText(`base: ${base}`);
    await expect(row('DB_URL')).toContainText('mysql://moved/db');
    await expect(row('REGION')).toContainText('cn-feature');
    await expect(row('REGION')).toContainText('this environment');
    await expect(row('/etc/global/app.toml')).toContainText(`base: ${base}`);
    await expect(
      page.getByText(/A deploy of global would change its configuration/),
    ).toBeVisible();
    await screenshot(page, 'environment-config');
  } finally {
    for (const name of [feature, base])
      await request.delete(`/api/environments/environments/${name}`, {
        headers: auth,
      });
  }
});
