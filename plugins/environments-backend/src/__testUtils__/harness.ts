/*
 * Starts the environments plugin in a test backend against the local test cluster
 * (scripts/cluster/cluster.sh up --name test), with a catalog of service definitions.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  SignalPayload,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ENVIRONMENT_LABEL } from '@archipelago/plugin-environments-common';
import type { Entity } from '@backstage/catalog-model';
import type { Knex } from 'knex';
import fs from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';
import { createEnvironmentsPlugin } from '../plugin';

export function testClusterAppConfig(): Record<string, any> {
  const file = process.env.ARCHIPELAGO_TEST_APP_CONFIG;
  if (!file || !fs.existsSync(file)) {
    throw new Error(
      'These tests need the local test cluster: run them through scripts/test.sh, or run ' +
        '`scripts/cluster/cluster.sh up --name test` and set ARCHIPELAGO_TEST_APP_CONFIG=.local/app-config.cluster-test.yaml',
    );
  }
  return parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The tests' second cluster (scripts/cluster/cluster.sh up --name test2), as configured in
 * its app-config fragment: one small node, for the tests of several clusters at once.
 */
export function secondClusterAppConfig(): Record<string, any> {
  const file = process.env.ARCHIPELAGO_TEST2_APP_CONFIG;
  if (!file || !fs.existsSync(file)) {
    throw new Error(
      'These tests need the second local test cluster: run them through scripts/test.sh, or run ' +
        '`ARCHIPELAGO_CLUSTER_NODES=1 ARCHIPELAGO_CLUSTER_NODE_CPU=4 ARCHIPELAGO_CLUSTER_NODE_MEMORY=8Gi scripts/cluster/cluster.sh up --name test2` and set ARCHIPELAGO_TEST2_APP_CONFIG=.local/app-config.cluster-test2.yaml',
    );
  }
  return parse(fs.readFileSync(file, 'utf8')).kubernetes
    .clusterLocatorMethods[0].clusters[0];
}

/** A client of a cluster entry of the app config (url, CA, token). */
export function kubeOf(cluster: Record<string, any>) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster.url, caData: cluster.caData }],
    users: [{ name: 'c', token: cluster.serviceAccountToken }],
    contexts: [{ name: 'c', cluster: 'c', user: 'c' }],
    currentContext: 'c',
  });
  return { kc, core: kc.makeApiClient(CoreV1Api) };
}

const def = (
  name: string,
  owner: string,
  definition: Record<string, unknown>,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: {
      'archipelago.dev/service-definition': JSON.stringify(definition),
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner },
});

/** The demo studio's services, as in examples/entities.yaml. */
export const studioEntities: Entity[] = [
  def('game', 'group:default/backend', {
    image: 'registry.local/island/game',
    defaultVersion: '20210422',
    kind: 'socket',
    ports: [{ name: 'game', port: 10001 }],
    resources: { requests: { cpu: '250m', memory: '512Mi' } },
    volumes: [
      {
        name: 'server-code',
        type: 'code',
        mountPath: '/home/server',
        size: '2Gi',
      },
    ],
    dependsOn: ['global', 'matching'],
  }),
  def('global', 'group:default/backend', {
    image: 'registry.local/island/global',
    defaultVersion: '20210422',
    kind: 'http',
    ports: [{ name: 'http', port: 20001 }],
    resources: { requests: { cpu: '100m', memory: '256Mi' } },
  }),
  def('matching', 'group:default/backend', {
    image: 'registry.local/island/matching',
    defaultVersion: '1.0.0',
    kind: 'backend',
    volumes: [
      { name: 'data', type: 'persistent', mountPath: '/data', size: '1Gi' },
    ],
  }),
  // Seed 002's game server: islands with three host ports each, on branch=dev nodes.
  def('altraserver', 'group:default/backend', {
    image: 'registry.local/island/altraserver',
    defaultVersion: '20210918',
    kind: 'island',
    island: {
      ports: ['app-common-port', 'remote-msg-port', 'server-port'],
      command: [
        'sh',
        '/home/seed.sh',
        '{{id}}',
        'false',
        '{{port:server-port}}',
        '{{clock}}',
      ],
    },
    resources: { requests: { cpu: '100m', memory: '256Mi' } },
    nodeSelector: { branch: 'dev' },
    volumes: [
      { name: 'server', type: 'code', mountPath: '/home/server', size: '1Gi' },
    ],
  }),
  def('daily-reset', 'group:default/design', {
    image: 'registry.local/island/daily-reset',
    defaultVersion: '1.0.0',
    kind: 'cron',
    schedule: '0 4 * * *',
  }),
];

export async function startEnvironmentsBackend(
  options: {
    knex?: Knex;
    config?: Record<string, unknown>;
    /**
     * Reach the test cluster at another address (a proxy), trusting this CA; or another
     * cluster altogether, with its token.
     */
    cluster?: {
      /** The cluster's name as configured (any string Backstage allows, e.g. Kouzan). */
      name?: string;
      url?: string;
      caData?: string;
      serviceAccountToken?: string;
      /** The cluster's island range (clusters[].islands): a suite's own, apart from others'. */
      islands?: { ports: string };
    };
    /** More clusters configured after the test cluster (a second one, an unreachable one). */
    extraClusters?: Array<Record<string, unknown>>;
    /**
     * The operation lease, in ms: 3 s by default, so that lapsed leases are quick to test.
     * App config allows no lease under 10 s (environments.queue.leaseSeconds), so this goes
     * to the plugin as a test option.
     */
    leaseMs?: number;
    /** More backend features (the permission backend and a policy, say). */
    features?: Parameters<typeof startTestBackend>[0]['features'];
    /** Top-level config besides `environments` (permission.enabled, say). */
    rootConfig?: Record<string, unknown>;
    /** Catalog entities besides the studio's service definitions. */
    entities?: Entity[];
    /** Keep what the plugin publishes in `signals` (default); a benchmark keeps nothing. */
    recordSignals?: boolean;
  } = {},
) {
  const cluster = testClusterAppConfig();
  const config = options.config;
  const leaseMs = options.leaseMs ?? 3000;
  if (options.cluster) {
    const [first] = cluster.kubernetes.clusterLocatorMethods[0].clusters;
    Object.assign(first, options.cluster);
  }
  if (options.extraClusters)
    cluster.kubernetes.clusterLocatorMethods[0].clusters.push(
      ...options.extraClusters,
    );
  // Signals the plugin publishes, as browsers would receive them.
  const signals: SignalPayload[] = [];
  const backend = await startTestBackend({
    features: [
      createEnvironmentsPlugin({ queueLeaseMs: leaseMs }),
      mockServices.rootConfig.factory({
        data: {
          ...cluster,
          ...options.rootConfig,
          environments: {
            readinessTimeout: '2m',
            expiryCheckSeconds: 1,
            queue: {
              pollInterval: '200ms',
              concurrencyPerCluster: 4,
            },
            ...config,
          },
        },
      }),
      catalogServiceMock.factory({
        entities: [...studioEntities, ...(options.entities ?? [])],
      }),
      // The real scheduler, so that the TTL task runs on its schedule.
      schedulerServiceFactory,
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({
          publish: async (signal: SignalPayload) => {
            if (options.recordSignals !== false) signals.push(signal);
          },
        }),
      }),
      ...(options.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      ...(options.features ?? []),
    ],
  });
  const auth = mockCredentials.user.header('user:default/guest');
  const api = {
    get: (path: string) =>
      request(backend.server)
        .get(`/api/environments${path}`)
        .set('Authorization', auth),
    post: (path: string, body: unknown) =>
      request(backend.server)
        .post(`/api/environments${path}`)
        .set('Authorization', auth)
        .send(body as object),
    put: (path: string, body: unknown) =>
      request(backend.server)
        .put(`/api/environments${path}`)
        .set('Authorization', auth)
        .send(body as object),
    delete: (path: string) =>
      request(backend.server)
        .delete(`/api/environments${path}`)
        .set('Authorization', auth),
  };
  const address = backend.server.address();
  const baseUrl = `http://127.0.0.1:${
    typeof address === 'object' && address ? address.port : 0
  }/api/environments`;
  return { backend, api, baseUrl, auth, signals };
}

export function testKube() {
  return kubeOf(
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0],
  );
}

/** Polls until `probe` returns a value, or fails with what it last saw. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise(r => setTimeout(r, 300));
  }
}

/** A unique environment name per test run. */
export const uniqueName = (prefix: string) =>
  `${prefix}-${Date.now().toString(36).slice(-5)}${Math.random()
    .toString(36)
    .slice(2, 4)}`;

type TestApi = Awaited<ReturnType<typeof startEnvironmentsBackend>>['api'];

/** Waits until an environment's operation has succeeded or failed, and returns it. */
export const operationFinished = (
  api: TestApi,
  environment: string,
  id: string,
  timeoutMs = 180_000,
) =>
  eventually(
    `operation ${id} to finish`,
    async () => {
      const op = (
        await api.get(`/environments/${environment}/operations/${id}`)
      ).body;
      return op.status === 'succeeded' || op.status === 'failed'
        ? op
        : undefined;
    },
    timeoutMs,
  );

/** Destroys environments and waits (at most two minutes) until their namespaces are gone. */
export async function destroyAll(
  api: TestApi,
  core: CoreV1Api,
  names: string[],
): Promise<void> {
  for (const name of names) await api.delete(`/environments/${name}`);
  await eventually(
    'cleanup',
    async () => {
      const left = await core.listNamespace({
        labelSelector: `${ENVIRONMENT_LABEL} in (${names.join(',')})`,
      });
      return left.items.length === 0 ? true : undefined;
    },
    120_000,
  ).catch(() => undefined);
}
