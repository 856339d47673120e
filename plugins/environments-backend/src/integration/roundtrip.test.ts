/*
 * Property: what the API server stores is what we rendered. Random valid specs (every
 * workload kind, ports, env, probes, volumes, config files, fallbacks, stopped services) are
 * rendered, applied for real to the local test cluster, and every object is read back: each
 * rendered field must be there with the same value. A dry run would not prove this: the
 * looser object a serialiser leaves behind (a NetworkPolicy rule without its peers) is valid.
 */
import fc from 'fast-check';
import {
  KIND_RULES,
  WorkloadKind,
  extractSecretValues,
  resolveServices,
  validateEnvironmentSpec,
} from '@archipelago/plugin-environments-common';
import { ClusterClient } from '../cluster/ClusterClient';
import { resourceOf, resourcePath } from '../cluster/resources';
import { differences } from '../reconcile/drift';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import {
  testClusterAppConfig,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

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
  // Names may collide with the ones the platform sets; values may hold any character,
  // control characters included. The validator must refuse exactly what the API server would
  // not keep as it was sent.
  env: fc.dictionary(
    fc
      .stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/)
      .filter(n => !['VERSION', 'POD_IP'].includes(n)),
    // Any Unicode the validator accepts (everything but control characters) must reach the
    // API server and come back as it was sent.
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .string({ maxLength: 12, unit: 'binary' })
        // eslint-disable-next-line no-control-regex
        .filter(v => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v)),
    ),
    { maxKeys: 4 },
  ),
  secret: fc.option(fc.string({ minLength: 1, maxLength: 20 })),
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
  // Versions beside the primary one (releases), and an HPA (autoscaling).
  extraVersions: fc.integer({ min: 0, max: 2 }),
  weight: fc.integer({ min: 0, max: 45 }),
  header: fc.boolean(),
  autoscale: fc.boolean(),
});

describe('what the API server stores is what we rendered', () => {
  const { core } = testKube();
  const settings =
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0];
  const client = new ClusterClient(settings);
  // Claims are never pruned (they hold data), so every run's claims stay in the namespace.
  // When the next run's would pass the namespace's claim quota, it starts a new namespace:
  // later runs update the objects of earlier ones, as a redeploy does, until then.
  const namespaces = [uniqueName('roundtrip')];
  let claims = new Set<string>();

  afterAll(async () => {
    for (const ns of namespaces)
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('reads back every rendered field of random valid specs, NetworkPolicies included', async () => {
    const differing: string[] = [];
    let compared = 0;
    const kinds = new Set<string>();
    let accepted = 0;
    const refusals: string[] = [];
    const policies: Array<[unknown, unknown]> = [];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(service, {
          selector: s => s.name,
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 1, max: 50 }),
        fc.boolean(),
        // One spec in six carries what the validator must refuse: a value with a control
        // character (any character, from the whole of Unicode), or a name the platform sets.
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          {
            weight: 1,
            arbitrary: fc
              .string({ minLength: 1, maxLength: 8, unit: 'binary' })
              .map(v => ({ POISON: `${v}\u0007` })),
          },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom('VERSION', 'SERVER_ID', 'POD_IP')
              .map(n => ({ [n]: 'x' })),
          },
        ),
        async (services, revision, withBase, poison) => {
          const parsed = validateEnvironmentSpec({
            name: 'roundtrip',
            owner: 'group:default/backend',
            purpose: 'feature',
            base: withBase ? 'integration' : undefined,
            services: services.map((s, i) => {
              const rules = KIND_RULES[s.kind as WorkloadKind];
              return {
                name: s.name,
                kind: s.kind,
                image: `registry.local/studio/${s.name}:${s.version}`,
                replicas:
                  rules.autoscaling && s.autoscale ? undefined : s.replicas,
                env: i === 0 && poison ? { ...s.env, ...poison } : s.env,
                secrets:
                  s.secret === null
                    ? undefined
                    : { SECRET_TOKEN: { value: s.secret } },
                ports: rules.ports ? [{ name: 'main', port: 8080 }] : undefined,
                schedule: rules.schedule ? '*/5 * * * *' : undefined,
                probes:
                  s.withProbe && rules.ports
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
                volumes:
                  s.volume && (s.volume !== 'persistent' || rules.persistent)
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
                  s.ingress && rules.ingress && rules.ports
                    ? { host: `${s.name}.dev.local` }
                    : undefined,
                hostAliases: s.hostAliases
                  ? [{ ip: '10.18.1.6', hostnames: ['login.example.com'] }]
                  : undefined,
                nodeSelector: s.nodeSelector ? { branch: 'dev' } : undefined,
                versions:
                  rules.releases &&
                  rules.ports &&
                  s.extraVersions &&
                  s.volume !== 'persistent'
                    ? Array.from({ length: s.extraVersions }, (_, j) => ({
                        version: `${s.version}-r${j + 1}`,
                        weight: s.weight,
                        ...(s.header ? { header: `client-${j + 1}` } : {}),
                        ...(rules.autoscaling && s.autoscale
                          ? {}
                          : { replicas: 1 }),
                      }))
                    : undefined,
                autoscaling:
                  rules.autoscaling && s.autoscale
                    ? { min: 1, max: 3, cpu: 60, scaleDownSeconds: 30 }
                    : undefined,
              };
            }),
          });
          if (!parsed.success) {
            refusals.push(...parsed.errors.map(e => e.message));
            return true;
          }
          const resolved = resolveServices(parsed.value, () => undefined);
          if (!resolved.success) {
            refusals.push(...resolved.errors.map(e => e.message));
            return true;
          }
          accepted++;
          const { spec, values } = extractSecretValues(parsed.value);
          const render = (namespace: string) =>
            renderEnvironment(
              renderInput(spec, {
                secretValues: values,
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
                routing: settings.routing,
              }),
            );
          let objects = render(namespaces[namespaces.length - 1]);
          const claimNames = objects
            .filter(o => o.kind === 'PersistentVolumeClaim')
            .map(o => o.metadata.name);
          const quota = objects.find(o => o.kind === 'ResourceQuota') as any;
          const limit = Number(quota.spec.hard.persistentvolumeclaims);
          if (new Set([...claims, ...claimNames]).size > limit) {
            namespaces.push(uniqueName('roundtrip'));
            claims = new Set();
            objects = render(namespaces[namespaces.length - 1]);
          }
          for (const c of claimNames) claims.add(c);
          const namespace = namespaces[namespaces.length - 1];
          await client.apply(objects);
          await client.prune(namespace, 'roundtrip', objects);
          for (const obj of objects) {
            // Claims keep the spec they were created with; their size may not shrink.
            if (obj.kind === 'PersistentVolumeClaim') continue;
            const r = resourceOf(obj)!;
            const stored = await client.http.request(
              'GET',
              resourcePath(r.type, obj.metadata.namespace, obj.metadata.name),
            );
            const { apiVersion: _a, kind: _k, ...body } = obj;
            const diff = differences(body, stored);
            compared++;
            kinds.add(obj.kind);
            if (obj.kind === 'NetworkPolicy')
              policies.push([
                (obj as any).spec.ingress ?? (obj as any).spec.egress,
                stored.spec.ingress ?? stored.spec.egress,
              ]);
            if (diff.length) {
              differing.push(
                `${obj.kind}/${obj.metadata.name}: ${diff.join('; ')}`,
              );
              return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 40 },
    );
    expect(differing).toEqual([]);
    // Both sides of the validator were exercised.
    expect(accepted).toBeGreaterThanOrEqual(20);
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    // Only what was generated to be refused was: control characters, platform-set names.
    for (const message of refusals)
      expect(message).toMatch(/control characters|is set by Archipelago/);
    // 20 or more specs of at least one service render well over a hundred objects.
    expect(compared).toBeGreaterThan(100);
    // Versions side by side and autoscaling were among them.
    expect([...kinds]).toEqual(
      expect.arrayContaining(['HTTPRoute', 'HorizontalPodAutoscaler']),
    );
    // Only what the docs say may reach the environment's pods (one ingress rule, with every
    // peer), and only what they say the pods may call (egress rules: itself, DNS, ...).
    expect(policies.length).toBeGreaterThanOrEqual(2 * accepted);
    for (const [rendered, stored] of policies) {
      expect(stored).toEqual(rendered);
      const [first] = stored as any[];
      expect((first.from ?? stored).length).toBeGreaterThanOrEqual(2);
    }
  });
});
