/*
 * Benchmarks in the browser (Debian's Chromium) against a running app: `yarn bench:ui`.
 * They print their figures; they assert only that the pages worked, never a time.
 */
import { defineConfig } from '@playwright/test';
import { chromiumArgs } from '../playwright.config';

export default defineConfig({
  testDir: '.',
  testMatch: '*.bench.ts',
  timeout: 600_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../.local/bench-results',
  use: {
    baseURL: process.env.ARCHIPELAGO_BENCH_APP ?? 'http://localhost:3000',
    browserName: 'chromium',
    viewport: { width: 1440, height: 1100 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...chromiumArgs, '--enable-precise-memory-info'],
    },
  },
});
