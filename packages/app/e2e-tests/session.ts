import { expect, APIRequestContext, Page } from '@playwright/test';

/** A guest's Backstage token, for calling the backend's APIs as the guest. */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const res = await request.get('/api/auth/guest/refresh', {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status()).toBe(200);
  return (await res.json()).backstageIdentity.token;
}

/** Opens a path of the app, signing in as the guest when asked to. */
export async function openAsGuest(page: Page, path_: string) {
  await page.goto(path_);
  const enter = page.getByRole('button', { name: 'Enter' });
  // The sidebar's entry for the environments pages shows once signed in.
  const signedIn = page
    .getByTestId('sidebar-root')
    .getByRole('link', { name: 'Environments', exact: true });
  await expect(enter.or(signedIn).first()).toBeVisible();
  if (await enter.isVisible()) await enter.click();
  await expect(signedIn).toBeVisible();
}

/** Waits until the operation banner shows an operation's outcome, and returns its text. */
export async function operationOutcome(page: Page, type: string) {
  const banner = page.getByTestId('operation-banner');
  await expect(banner).toContainText(type);
  await expect(banner).toContainText(/Succeeded|Failed/, { timeout: 120_000 });
  return (await banner.textContent()) ?? '';
}
