/*
 * The app opens in a real browser, guest sign-in works, and the catalog lists Archipelago.
 */
import { test, expect } from '@playwright/test';
import { screenshot } from './screenshot';

test('the catalog page renders after guest sign-in', async ({ page }) => {
  await page.goto('/');

  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible();
  await enter.click();

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(
    nav.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Archipelago', exact: true }),
  ).toBeVisible();
  await expect(page).toHaveTitle(/Archipelago/);

  const file = await screenshot(page, 'catalog');
  expect(file).toMatch(/catalog\.png$/);
});
