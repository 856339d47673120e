/*
 * The watch cache against a real API server. The outage test runs a cluster of its own (so other
 * suites are not disturbed), stops and starts it again under a running cache, and checks that
 * changes made while it was away and after it came back reach the cache.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import path from 'node:path';
import {
  ENVIRONMENT_LABEL,
  MANAGED_BY_LABEL,
  SERVICE_LABEL,
} from '@archipelago/plugin-environments-common';
import { CACHED_RESOURCES, WatchCache } from '../cluster/WatchCache';
import {
  eventually,
  kubeOf,
  testClusterAppConfig,
} from '../__testUtils__/harness';
import { countingProxy } from '../__testUtils__/countingProxy';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '../../../..');
const clusterSh = path.join(root, 'scripts/cluster/cluster.sh');
const env = { ...process.env, ARCHIPELAGO_CLUSTER_PORT_BASE: '35000' };
// Asynchronous, so the event loop keeps running through the outage, as in a real backend.
const cluster = (cmd: string) =>
  promisify(execFile)(clusterSh, [cmd, '--name', 'hiccup'], {
    env,
    timeout: 240_000,
  });

const messages: string[] = [];
const record = (level: string) => (m: string) => {
  messages.push(`${level} ${m}`);
};
const logger: any = {
  info: record('info'),
  warn: record('warn'),
  error: record('error'),
  debug: () => undefined,
  child: () => logger,
};

const pod = (name: string) => ({
  metadata: {
    name,
    labels: {
      [MANAGED_BY_LABEL]: 'archipelago',
      [ENVIRONMENT_LABEL]: 'hiccup',
      [SERVICE_LABEL]: 'web',
    },
  },
  spec: { containers: [{ name: 'web', image: 'registry.local/web:1' }] },
});

describe('WatchCache', () => {
  let cache: WatchCache | undefined;

  beforeAll(async () => {
    if (!process.env.ARCHIPELAGO_TEST_APP_CONFIG) {
      throw new Error(
        'This test starts a local cluster of its own; run it through scripts/test.sh',
      );
    }
    await cluster('reset');
    await cluster('up');
  });

  afterAll(async () => {
    await cache?.stop();
    await cluster('reset');
  });

  it('lists again and carries on after the API server goes away and comes back', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(root, '.local/kubeconfig-hiccup.yaml'));
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'env-hiccup' } } });
    // A new namespace accepts pods once the controller-manager has made its service account.
    await eventually('the new namespace to accept a pod', () =>
      core.createNamespacedPod({
        namespace: 'env-hiccup',
        body: pod('before'),
      }),
    );

    const changes: string[] = [];
    cache = new WatchCache('hiccup', kc, logger, {
      namespacePrefix: 'env-',
      watchSeconds: 5,
      idleMs: 15_000,
      retryMaxMs: 2_000,
    });
    cache.onChange(ns => changes.push(ns));
    await cache.start();
    await cache.waitForSync();
    expect(
      cache.snapshot('env-hiccup').pods.map(p => p.metadata?.name),
    ).toEqual(['before']);
    // An ordinary watch round (the server ends it after ~5 s) is not a failure.
    await new Promise(r => setTimeout(r, 8_000));
    expect(cache.stats().failures).toBe(0);
    const listsBefore = cache.stats().lists;

    await cluster('down');
    await eventually(
      'the cache to notice the outage',
      async () => (cache!.stats().reachable ? undefined : true),
      60_000,
    );
    // Stay away long enough for lists to be refused a few times.
    await expect(core.listNamespace()).rejects.toThrow();
    await new Promise(r => setTimeout(r, 5_000));
    const failuresDuringOutage = cache.stats().failures;
    await cluster('up');

    await core.createNamespacedPod({
      namespace: 'env-hiccup',
      body: pod('after'),
    });
    await core.deleteNamespacedPod({
      name: 'before',
      namespace: 'env-hiccup',
      gracePeriodSeconds: 0,
    });
    const pods = await eventually(
      'the cache to see the changes made after the outage',
      async () => {
        const names = cache!
          .snapshot('env-hiccup')
          .pods.map(p => p.metadata?.name);
        return names.includes('after') && !names.includes('before')
          ? names
          : undefined;
      },
      60_000,
    );
    expect(pods).toEqual(['after']);
    await eventually(
      'every watch to be back',
      async () => (cache!.stats().reachable ? true : undefined),
      60_000,
    );
    // It listed again rather than trusting a resourceVersion from before the outage.
    expect(cache.stats().lists).toBeGreaterThan(listsBefore);
    expect(failuresDuringOutage).toBeGreaterThan(8);
    expect(messages.some(m => m.startsWith('warn watch of pods'))).toBe(true);
    expect(messages.some(m => /watch of pods .* recovered/.test(m))).toBe(true);
    expect(changes.filter(ns => ns === 'env-hiccup').length).toBeGreaterThan(1);
  });
  it('drops a watch that goes silent and lists again', async () => {
    // A TCP relay in front of the API server. Freezing it keeps the open connections up but
    // stops passing their bytes: the watches hang without an error, as they do against an API
    // server that stalls. New connections pass.
    const frozen = new Set<net.Socket>();
    const open = new Set<net.Socket>();
    const relay = net.createServer(client => {
      const upstream = net.connect(35443, '127.0.0.1');
      const pass = (from: net.Socket, to: net.Socket) =>
        from.on('data', d => {
          if (!frozen.has(client)) to.write(d);
        });
      pass(client, upstream);
      pass(upstream, client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', () => {
        open.delete(client);
        end();
      });
      upstream.on('error', end).on('close', end);
      open.add(client);
    });
    await new Promise<void>(r => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;

    const direct = new KubeConfig();
    direct.loadFromFile(path.join(root, '.local/kubeconfig-hiccup.yaml'));
    const core = direct.makeApiClient(CoreV1Api);
    const viaRelay = new KubeConfig();
    viaRelay.loadFromFile(path.join(root, '.local/kubeconfig-hiccup.yaml'));
    viaRelay.clusters[0] = {
      ...viaRelay.clusters[0],
      server: `https://127.0.0.1:${port}`,
    } as any;
    expect(direct.clusters[0].server).toBe('https://127.0.0.1:35443');

    const silent = new WatchCache('hiccup', viaRelay, logger, {
      namespacePrefix: 'env-',
      watchSeconds: 60,
      idleMs: 4_000,
      retryMaxMs: 1_000,
    });
    try {
      await silent.start();
      await silent.waitForSync();
      // Each kind's watch starts after its list: wait until every one of them is connected
      // (lists close their connections), or a watch opened after the freeze would see the pod.
      await eventually(
        'every watch to be connected through the relay',
        async () =>
          open.size >= CACHED_RESOURCES.length &&
          silent.stats().watches >= CACHED_RESOURCES.length
            ? true
            : undefined,
      );
      const listsBefore = silent.stats().lists;
      // Every connection open now (the watches) goes quiet.
      open.forEach(s => frozen.add(s));
      await core.createNamespacedPod({
        namespace: 'env-hiccup',
        body: pod('during-stall'),
      });
      const names = await eventually(
        'the cache to see a pod created while its watches were stalled',
        async () => {
          const n = silent
            .snapshot('env-hiccup')
            .pods.map(p => p.metadata?.name);
          return n.includes('during-stall') ? n : undefined;
        },
        30_000,
      );
      expect(names).toContain('during-stall');
      expect(silent.stats().lists).toBeGreaterThan(listsBefore);
      expect(messages.some(m => m.includes('presumed dead'))).toBe(true);
    } finally {
      await silent.stop();
      open.forEach(s => s.destroy());
      relay.close();
    }
  });

  it('lists in pages, as client-go does, and keeps every page', async () => {
    // On the shared test cluster, through a proxy that records each request.
    const shared =
      testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0];
    const { core } = kubeOf(shared);
    const ns = `env-pages-${Date.now().toString(36)}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const proxy = await countingProxy(shared);
    const paged = new WatchCache(
      'test',
      kubeOf({ ...shared, ...proxy }).kc,
      logger,
      {
        namespacePrefix: 'env-',
        listPageSize: 2,
      },
    );
    try {
      await eventually('the new namespace to accept a pod', () =>
        core.createNamespacedPod({ namespace: ns, body: pod('p-0') }),
      );
      for (let i = 1; i < 5; i++) {
        await core.createNamespacedPod({ namespace: ns, body: pod(`p-${i}`) });
      }
      await paged.start();
      await paged.waitForSync();
      expect(
        paged
          .snapshot(ns)
          .pods.map(p => p.metadata?.name)
          .sort(),
      ).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
      const podLists = proxy.seen
        .filter(r => !r.watch && r.url.startsWith('/api/v1/pods?'))
        .map(r => new URL(r.url, 'https://x').searchParams);
      // At least five pods in pages of two: three requests or more, every one after the first
      // continuing the first one's list.
      expect(podLists.length).toBeGreaterThanOrEqual(3);
      expect(podLists.every(q => q.get('limit') === '2')).toBe(true);
      expect(podLists[0].get('continue')).toBeNull();
      expect(podLists.slice(1).every(q => q.get('continue'))).toBe(true);
    } finally {
      await paged.stop();
      proxy.close();
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });
});
