/*
 * Helpers for tests that run against the local test cluster (scripts/cluster/cluster.sh).
 * scripts/test.sh starts the "test" cluster and sets ARCHIPELAGO_TEST_KUBECONFIG.
 */
import { KubeConfig } from '@kubernetes/client-node';
import fs from 'node:fs';

/** Loads the test cluster's kubeconfig, or fails with instructions. */
export function loadTestKubeConfig(): KubeConfig {
  const path = process.env.ARCHIPELAGO_TEST_KUBECONFIG;
  if (!path || !fs.existsSync(path)) {
    throw new Error(
      'This test needs the local test cluster. Run it through scripts/test.sh, or start the ' +
        'cluster with `scripts/cluster/cluster.sh up --name test` and set ' +
        'ARCHIPELAGO_TEST_KUBECONFIG=.local/kubeconfig-test.yaml',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) {
        return value;
      }
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs}ms waiting for ${what}${
          lastError ? `; last error: ${String(lastError)}` : ''
        }`,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** A unique, DNS-safe namespace name for one test run. */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random()
    .toString(36)
    .slice(2, 6)}`;
}
