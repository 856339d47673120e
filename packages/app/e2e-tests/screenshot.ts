import type { Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

/** Where the browser tests save the screenshots that the docs use. */
export const screenshotDir = path.resolve(
  __dirname,
  '../../../.local/test-results/e2e/screenshots',
);

/** Saves a full-page screenshot named `<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
