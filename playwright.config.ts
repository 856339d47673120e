/*
 * Browser tests run with Playwright on Debian's Chromium (never a downloaded browser) against
 * a running app. scripts/test.sh builds the frontend, starts the backend on port 7107 and sets
 * ARCHIPELAGO_E2E_URL; against a development instance (scripts/start.sh) the default URL works.
 */
import { defineConfig } from '@playwright/test';

/** How Debian's Chromium runs here: headless, and never reaching for the network itself. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['json', { outputFile: '.local/test-results/playwright.json' }],
  ],
  outputDir: '.local/test-results/e2e/artifacts',
  use: {
    baseURL: process.env.ARCHIPELAGO_E2E_URL ?? 'http://localhost:3000',
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: chromiumArgs,
    },
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
});
