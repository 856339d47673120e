/*
 * Property: any valid spec renders to objects the API server accepts. Random specs (every
 * workload kind, ports, env, probes, volumes, config files, fallbacks, stopped services) are
 * rendered and sent to the local test cluster with server-side dry-run apply.
 */
import fc from 'fast-check';
import {
  CoreV1Api,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import {
  environmentSpecSchema,
  resolveServices,
} from '@archipelago/plugin-environments-common';
import { renderEnvironment } from './render';
import { renderInput } from './testFixtures';
import { testKube, uniqueName } from '../__testUtils__/harness';

jest.setTimeout(180_000);

const name = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const probe = fc.oneof(
  fc.record({
    http: fc.record({
      path: fc.constantFrom('/', '/healthz', '/ready'),
      port: fc.constant('main'),
    }),
  }),
  fc.record({ tcp: fc.record({ port: fc.constant('main') }) }),
  fc.record({
    exec: fc.record({ command: fc.constant(['true']) }),
    periodSeconds: fc.integer({ min: 1, max: 30 }),
  }),
);
const service = fc.record({
  name,
  kind: fc.constantFrom('http', 'socket', 'backend', 'cron', 'job'),
  version: fc.stringMatching(/^[0-9][0-9a-z.]{0,10}[0-9a-z]$/),
  replicas: fc.integer({ min: 0, max: 3 }),
  env: fc.dictionary(
    fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/),
    fc.string({ maxLength: 30 }),
    { maxKeys: 4 },
  ),
  withProbe: fc.boolean(),
  probe,
  cpu: fc.constantFrom(undefined, '50m', '250m', '1'),
  memory: fc.constantFrom(undefined, '64Mi', '512Mi', '1Gi'),
  volume: fc.constantFrom(undefined, 'persistent', 'code', 'scratch'),
  config: fc.boolean(),
  ingress: fc.boolean(),
  hostAliases: fc.boolean(),
  nodeSelector: fc.boolean(),
  stopped: fc.boolean(),
});

describe('rendered objects are accepted by the API server', () => {
  const { kc } = testKube();
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = uniqueName('render-dryrun');

  beforeAll(async () => {
    await core.createNamespace({
      body: {
        metadata: {
          name: namespace,
          labels: { 'archipelago.dev/test': 'render' },
        },
      },
    });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('server-side dry-runs every object of random valid specs', async () => {
    const rejected: string[] = [];
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(service, {
          selector: s => s.name,
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 1, max: 50 }),
        fc.boolean(),
        async (services, revision, withBase) => {
          const spec = environmentSpecSchema.parse({
            name: 'acceptance',
            owner: 'group:default/backend',
            purpose: 'feature',
            base: withBase ? 'integration' : undefined,
            services: services.map(s => ({
              name: s.name,
              kind: s.kind,
              image: `registry.local/studio/${s.name}:${s.version}`,
              replicas: s.replicas,
              env: s.env,
              ports:
                s.kind === 'http' || s.kind === 'socket'
                  ? [{ name: 'main', port: 8080 }]
                  : undefined,
              schedule: s.kind === 'cron' ? '*/5 * * * *' : undefined,
              probes:
                s.withProbe && (s.kind === 'http' || s.kind === 'socket')
                  ? { readiness: s.probe }
                  : undefined,
              resources:
                s.cpu || s.memory
                  ? {
                      requests: {
                        ...(s.cpu && { cpu: s.cpu }),
                        ...(s.memory && { memory: s.memory }),
                      },
                    }
                  : undefined,
              volumes: s.volume
                ? [
                    {
                      name: 'data',
                      type: s.volume,
                      mountPath: '/data',
                      size: '1Gi',
                    },
                  ]
                : undefined,
              configFiles: s.config
                ? [{ path: `/etc/${s.name}/app.toml`, content: 'a = 1\n' }]
                : undefined,
              ingress:
                s.ingress && s.kind === 'http'
                  ? { host: `${s.name}.dev.local` }
                  : undefined,
              hostAliases: s.hostAliases
                ? [{ ip: '10.18.1.6', hostnames: ['login.example.com'] }]
                : undefined,
              nodeSelector: s.nodeSelector ? { branch: 'dev' } : undefined,
            })),
          });
          const resolved = resolveServices(spec, () => undefined);
          if (!resolved.success)
            throw new Error(JSON.stringify(resolved.errors));
          const input = renderInput(spec, {
            revision,
            namespace,
            stopped: services.filter(s => s.stopped).map(s => s.name),
            fallbacks: withBase
              ? [
                  {
                    service: 'matchmaker',
                    environment: 'integration',
                    namespace: 'env-integration',
                  },
                ]
              : [],
            baseNamespace: withBase ? 'env-integration' : undefined,
          });
          for (const obj of renderEnvironment(input)) {
            if (obj.kind === 'Namespace') continue;
            try {
              const result = await objects.patch(
                obj as KubernetesObject,
                undefined,
                'All',
                'archipelago',
                true,
                PatchStrategy.ServerSideApply,
              );
              if (result.metadata?.name === obj.metadata.name) accepted++;
            } catch (e) {
              rejected.push(
                `${obj.kind}/${obj.metadata.name}: ${
                  (e as any)?.body ?? String(e)
                }`,
              );
              return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 25 },
    );
    expect(rejected).toEqual([]);
    // 25 specs of at least one service render well over a hundred objects.
    expect(accepted).toBeGreaterThan(100);
  });
});
