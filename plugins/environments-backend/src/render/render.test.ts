import fc from 'fast-check';
import {
  ENVIRONMENT_LABEL,
  MANAGED_BY_LABEL,
  REVISION_LABEL,
  SERVICE_LABEL,
  WORKLOAD_KINDS,
} from '@archipelago/plugin-environments-common';
import {
  ENVIRONMENT_RESOURCES,
  Manifest,
  manifestKey,
  renderEnvironment,
} from './render';
import { resourceOf } from '../cluster/resources';
import { CACHED_RESOURCES } from '../cluster/WatchCache';
import { renderInput } from './testFixtures';

const find = (objs: Manifest[], kind: string, name: string) => {
  const o = objs.find(m => m.kind === kind && m.metadata.name === name);
  if (!o)
    throw new Error(
      `no ${kind} ${name} in ${objs.map(manifestKey).join(', ')}`,
    );
  return o as any;
};

const base = {
  name: 'feat-login',
  owner: 'group:default/backend',
  purpose: 'feature',
};

describe('renderEnvironment', () => {
  it('renders the namespace, quota, limits and isolation of a minimal environment', () => {
    const objs = renderEnvironment(
      renderInput({ ...base, services: [{ name: 'global', version: '1.0' }] }),
    );
    const ns = find(objs, 'Namespace', 'env-feat-login');
    expect(ns.metadata.labels).toMatchObject({
      [MANAGED_BY_LABEL]: 'archipelago',
      [ENVIRONMENT_LABEL]: 'feat-login',
      'archipelago.dev/purpose': 'feature',
    });
    expect(ns.metadata.annotations['archipelago.dev/owner']).toBe(
      'group:default/backend',
    );
    expect(
      find(objs, 'ResourceQuota', 'environment-quota').spec.hard,
      // The purpose's 8 CPU and 50 pods, and 10% of room for a rolling update's surge.
    ).toMatchObject({ 'requests.cpu': '8800m', pods: '55' });
    expect(
      find(objs, 'LimitRange', 'environment-defaults').spec.limits[0]
        .defaultRequest,
    ).toEqual({ cpu: '100m', memory: '128Mi' });
    const np = find(objs, 'NetworkPolicy', 'environment-isolation');
    expect(np.spec.ingress[0].from).toEqual(
      expect.arrayContaining([
        { podSelector: {} },
        {
          namespaceSelector: {
            matchLabels: { 'base.archipelago.dev/id-feat-login': 'true' },
          },
        },
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
          },
        },
      ]),
    );
  });

  it('renders an http service as a Deployment and a Service per version, its plain Service, and an HTTPRoute for its host', () => {
    const objs = renderEnvironment(
      renderInput({
        ...base,
        services: [
          {
            name: 'global',
            version: '1.0',
            replicas: 3,
            ingress: { host: 'global.dev.local' },
          },
        ],
      }),
    );
    const deploy = find(objs, 'Deployment', 'global-v1-0');
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.spec.selector.matchLabels).toEqual({
      [ENVIRONMENT_LABEL]: 'feat-login',
      [SERVICE_LABEL]: 'global',
      'archipelago.dev/version': '1.0',
    });
    const container = deploy.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.local/studio/global:1.0');
    expect(container.env).toEqual(
      expect.arrayContaining([
        {
          name: 'SERVER_ID',
          valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
        },
        {
          name: 'SERVER_TYPE',
          valueFrom: {
            fieldRef: {
              fieldPath: "metadata.labels['archipelago.dev/server-type']",
            },
          },
        },
        {
          name: 'VERSION',
          valueFrom: {
            fieldRef: {
              fieldPath: "metadata.labels['archipelago.dev/version']",
            },
          },
        },
        { name: 'LOG_LEVEL', value: 'info' },
      ]),
    );
    expect(
      deploy.spec.template.metadata.labels['archipelago.dev/version'],
    ).toBe('1.0');
    const svc = find(objs, 'Service', 'global');
    expect(svc.spec.clusterIP).toBeUndefined();
    expect(svc.spec.ports).toEqual([
      { name: 'http', port: 20001, targetPort: 'http', protocol: 'TCP' },
    ]);
    // The plain Service selects every version; the version's own Service only its pods.
    expect(svc.spec.selector).toEqual({
      [ENVIRONMENT_LABEL]: 'feat-login',
      [SERVICE_LABEL]: 'global',
    });
    expect(find(objs, 'Service', 'global-v1-0').spec.selector).toEqual(
      deploy.spec.selector.matchLabels,
    );
    // No Gateway is named: the host keeps its Ingress, to the plain Service; one version
    // needs no route.
    const ing = find(objs, 'Ingress', 'global');
    expect(ing.spec.rules[0].host).toBe('global.dev.local');
    expect(ing.spec.rules[0].http.paths[0].backend.service.name).toBe('global');
    expect(objs.some(o => o.kind === 'HTTPRoute')).toBe(false);
    const withGateway = renderEnvironment({
      ...renderInput({
        ...base,
        services: [
          { name: 'global', version: '1.0', ingress: { host: 'g.dev.local' } },
        ],
      }),
      routing: {
        type: 'gateway',
        gateway: { name: 'gw', namespace: 'gateways' },
      },
    });
    expect(withGateway.some(o => o.kind === 'Ingress')).toBe(false);
    const attached = find(withGateway, 'HTTPRoute', 'global');
    expect(attached.spec.hostnames).toEqual(['g.dev.local']);
    expect(attached.spec.parentRefs[0]).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      namespace: 'gateways',
      name: 'gw',
    });
  });

  it('renders the Ingress of a service with a host when the cluster routes with none', () => {
    const objs = renderEnvironment({
      ...renderInput({
        ...base,
        services: [
          {
            name: 'global',
            version: '1.0',
            ingress: { host: 'global.dev.local' },
          },
        ],
      }),
      routing: { type: 'none' },
    });
    const ing = find(objs, 'Ingress', 'global');
    expect(ing.spec.rules[0]).toMatchObject({ host: 'global.dev.local' });
    expect(ing.spec.rules[0].http.paths[0].backend.service.name).toBe('global');
    expect(objs.some(o => o.kind === 'HTTPRoute')).toBe(false);
  });

  it('renders a socket service as a StatefulSet with a headless Service and a shared code volume', () => {
    const objs = renderEnvironment(
      renderInput({
        ...base,
        services: [{ name: 'game', version: '20210422', replicas: 2 }],
      }),
    );
    const sts = find(objs, 'StatefulSet', 'game-v20210422');
    expect(sts.spec).toMatchObject({
      replicas: 2,
      serviceName: 'game-v20210422',
    });
    expect(find(objs, 'Service', 'game-v20210422').spec.clusterIP).toBe('None');
    const pod = sts.spec.template.spec;
    expect(pod.containers[0].readinessProbe).toEqual({
      tcpSocket: { port: 'game' },
      periodSeconds: 5,
    });
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'vol-code', mountPath: '/home/server', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      {
        name: 'vol-code',
        persistentVolumeClaim: { claimName: 'code-code', readOnly: true },
      },
    ]);
    expect(
      find(objs, 'PersistentVolumeClaim', 'code-code').spec.accessModes,
    ).toEqual(['ReadWriteMany']);
    expect(find(objs, 'Service', 'game').spec.clusterIP).toBe('None');
  });

  it('renders a backend service as a StatefulSet with volumeClaimTemplates and no exposure', () => {
    const objs = renderEnvironment(
      renderInput({ ...base, services: [{ name: 'matching', version: '3' }] }),
    );
    const sts = find(objs, 'StatefulSet', 'matching');
    expect(
      sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage,
    ).toBe('2Gi');
    expect(objs.some(o => o.kind === 'Ingress')).toBe(false);
  });

  it('renders cron services as CronJobs with history limits, suspended when stopped', () => {
    const running = find(
      renderEnvironment(
        renderInput({ ...base, services: [{ name: 'ticker', version: '1' }] }),
      ),
      'CronJob',
      'ticker',
    );
    expect(running.spec).toMatchObject({
      schedule: '*/5 * * * *',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const stopped = find(
      renderEnvironment(
        renderInput(
          { ...base, services: [{ name: 'ticker', version: '1' }] },
          { stopped: ['ticker'] },
        ),
      ),
      'CronJob',
      'ticker',
    );
    expect(stopped.spec.suspend).toBe(true);
  });

  it('names Jobs after their template, so a new version is a new Job', () => {
    const v1 = renderEnvironment(
      renderInput({ ...base, services: [{ name: 'migrate', version: '1' }] }),
    ).find(o => o.kind === 'Job')!;
    const v2 = renderEnvironment(
      renderInput({ ...base, services: [{ name: 'migrate', version: '2' }] }),
    ).find(o => o.kind === 'Job')!;
    expect(v1.metadata.name).toMatch(/^migrate-[0-9a-f]{8}$/);
    expect(v1.metadata.name).not.toBe(v2.metadata.name);
  });

  it('scales stopped services to zero and rolls pods on restart', () => {
    const input = renderInput(
      { ...base, services: [{ name: 'global', version: '1' }] },
      {
        stopped: ['global'],
        restartedAt: { global: '2026-11-22T10:00:00Z' },
      },
    );
    const deploy = find(renderEnvironment(input), 'Deployment', 'global-v1');
    expect(deploy.spec.replicas).toBe(0);
    expect(
      deploy.spec.template.metadata.annotations['archipelago.dev/restarted-at'],
    ).toBe('2026-11-22T10:00:00Z');
  });

  it('falls back to the base for services it does not run, through ExternalName Services', () => {
    const objs = renderEnvironment(
      renderInput(
        {
          ...base,
          base: 'integration',
          services: [{ name: 'global', version: '1', dependsOn: ['matching'] }],
        },
        {
          fallbacks: [
            {
              service: 'global',
              environment: 'integration',
              namespace: 'env-integration',
            },
            {
              service: 'matching',
              environment: 'integration',
              namespace: 'env-integration',
            },
          ],
          baseNamespace: 'env-integration',
          baseName: 'integration',
        },
      ),
    );
    const fb = find(objs, 'Service', 'matching');
    expect(fb.spec).toEqual({
      type: 'ExternalName',
      externalName: 'matching.env-integration.svc.cluster.local',
    });
    expect(fb.metadata.labels['archipelago.dev/fallback']).toBe('integration');
    expect(find(objs, 'Service', 'global').spec.type).toBe('ClusterIP');
    const discovery = JSON.parse(
      find(objs, 'ConfigMap', 'archipelago-discovery').data['services.json'],
    );
    expect(discovery).toEqual({
      global: {
        environment: 'feat-login',
        address: 'global.env-feat-login.svc.cluster.local',
      },
      matching: {
        environment: 'integration',
        address: 'matching.env-integration.svc.cluster.local',
      },
    });
    expect(
      find(objs, 'Namespace', 'env-feat-login').metadata.labels[
        'archipelago.dev/base'
      ],
    ).toBe('integration');
  });

  it('mounts config files from a ConfigMap and rolls pods when they change', () => {
    const render = (content: string) =>
      renderEnvironment(
        renderInput({
          ...base,
          services: [
            {
              name: 'global',
              version: '1',
              configFiles: [{ path: '/etc/game/server.toml', content }],
            },
          ],
        }),
      );
    const a = render('a = 1');
    expect(find(a, 'ConfigMap', 'global-config').data).toEqual({
      'etc_game_server.toml': 'a = 1',
    });
    const mount = find(a, 'Deployment', 'global-v1').spec.template.spec
      .containers[0].volumeMounts[0];
    expect(mount).toEqual({
      name: 'config-files',
      mountPath: '/etc/game/server.toml',
      subPath: 'etc_game_server.toml',
      readOnly: true,
    });
    const checksum = (objs: Manifest[]) =>
      find(objs, 'Deployment', 'global-v1').spec.template.metadata.annotations[
        'archipelago.dev/config-checksum'
      ];
    expect(checksum(a)).not.toBe(checksum(render('a = 2')));
  });

  it("limits a container to its request where that is above the purpose's default limit", () => {
    const objs = renderEnvironment(
      renderInput({
        ...base,
        services: [
          {
            name: 'global',
            version: '1',
            resources: { requests: { cpu: '3', memory: '256Mi' } },
          },
        ],
      }),
    );
    const limitRange = find(objs, 'LimitRange', 'environment-defaults').spec
      .limits[0];
    // The test input's default limit is below 3 CPU and above 256Mi.
    expect(Number.parseFloat(limitRange.default.cpu)).toBeLessThan(3);
    expect(
      find(objs, 'Deployment', 'global-v1').spec.template.spec.containers[0]
        .resources,
    ).toEqual({
      requests: { cpu: '3', memory: '256Mi' },
      limits: { cpu: '3' },
    });
  });

  it('gives two config files whose paths make the same key keys of their own', () => {
    const objs = renderEnvironment(
      renderInput({
        ...base,
        services: [
          {
            name: 'global',
            version: '1',
            configFiles: [
              { path: '/etc/global/app.toml', content: 'inherited' },
              { path: '/etc/global_app.toml', content: 'own' },
            ],
          },
        ],
      }),
    );
    const data = find(objs, 'ConfigMap', 'global-config').data;
    expect(Object.keys(data)).toHaveLength(2);
    expect(data['etc_global_app.toml']).toBe('inherited');
    const mounts = find(objs, 'Deployment', 'global-v1').spec.template.spec
      .containers[0].volumeMounts;
    // Each path mounts its own content.
    const contentAt = (path: string) =>
      data[mounts.find((m: any) => m.mountPath === path).subPath];
    expect(contentAt('/etc/global/app.toml')).toBe('inherited');
    expect(contentAt('/etc/global_app.toml')).toBe('own');
  });

  it('is pure: the same input renders the same objects', () => {
    const input = renderInput({
      ...base,
      services: [
        { name: 'game', version: '1' },
        { name: 'global', version: '2' },
      ],
    });
    expect(renderEnvironment(input)).toEqual(
      renderEnvironment(structuredClone(input)),
    );
  });

  it('labels every object with the environment and revision, and names are unique (property)', () => {
    const serviceArb = fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
      kind: fc.constantFrom(...WORKLOAD_KINDS),
      replicas: fc.integer({ min: 0, max: 5 }),
      version: fc.stringMatching(/^[0-9][0-9.]{0,6}[0-9]$/),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(serviceArb, {
          selector: s => s.name,
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 1000 }),
        (services, revision) => {
          const spec = {
            ...base,
            services: services.map(s => ({
              name: s.name,
              image: `registry.local/studio/${s.name}:${s.version}`,
              kind: s.kind,
              ...(s.kind === 'island'
                ? { island: { ports: ['main'] } }
                : { replicas: s.replicas }),
              ports:
                s.kind === 'http' || s.kind === 'socket'
                  ? [{ name: 'main', port: 8080 }]
                  : undefined,
              schedule: s.kind === 'cron' ? '*/5 * * * *' : undefined,
            })),
          };
          const objs = renderEnvironment(renderInput(spec, { revision }));
          const keys = objs.map(manifestKey);
          expect(new Set(keys).size).toBe(keys.length);
          for (const o of objs) {
            expect(o.metadata.labels[MANAGED_BY_LABEL]).toBe('archipelago');
            expect(o.metadata.labels[ENVIRONMENT_LABEL]).toBe('feat-login');
            expect(o.metadata.labels[REVISION_LABEL]).toBe(String(revision));
            expect(o.metadata.namespace).toBe(
              o.kind === 'Namespace' ? undefined : 'env-feat-login',
            );
          }
          // An island service's own object is its clocks ConfigMap.
          const workloads = objs.filter(
            o =>
              ['Deployment', 'StatefulSet', 'CronJob', 'Job'].includes(
                o.kind,
              ) || o.metadata.labels['archipelago.dev/islands'] === 'true',
          );
          expect(workloads).toHaveLength(services.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  const fiveKinds = {
    ...base,
    services: [
      { name: 'global', version: '1.0' },
      { name: 'game', version: '1' },
      { name: 'matching', version: '1' },
      { name: 'ticker', version: '1' },
      { name: 'migrate', version: '1' },
    ],
  };
  const templateOf = (o: any) =>
    o.spec?.template ?? o.spec?.jobTemplate?.spec?.template;
  const byKey = (objs: Manifest[]) =>
    new Map(objs.map(o => [manifestKey(o), o as any]));

  it('keeps the revision out of pod templates and claim templates, so a new revision rolls nothing by itself', () => {
    const r1 = byKey(
      renderEnvironment(renderInput(fiveKinds, { revision: 1 })),
    );
    const r2 = byKey(
      renderEnvironment(renderInput(fiveKinds, { revision: 2 })),
    );
    expect([...r2.keys()]).toEqual([...r1.keys()]);
    const templates = [...r2].filter(([, o]) => templateOf(o));
    expect(templates).toHaveLength(5);
    for (const o of r2.values()) {
      expect(o.metadata.labels[REVISION_LABEL]).toBe('2');
    }
    for (const [key, o] of templates) {
      expect(templateOf(o).metadata.labels[REVISION_LABEL]).toBeUndefined();
      expect(templateOf(o)).toEqual(templateOf(r1.get(key)));
    }
    const claimTemplates = [...r2].flatMap(([key, o]) =>
      (o.spec?.volumeClaimTemplates ?? []).map((c: any, i: number) => [
        c,
        r1.get(key).spec.volumeClaimTemplates[i],
      ]),
    );
    expect(claimTemplates).toHaveLength(1);
    for (const [now, then] of claimTemplates) {
      expect(now.metadata.labels[REVISION_LABEL]).toBeUndefined();
      expect(now).toEqual(then);
    }
  });

  it("changes only the deployed service's workload when one service gets a new version", () => {
    const before = byKey(renderEnvironment(renderInput(fiveKinds)));
    const after = byKey(
      renderEnvironment(
        renderInput(
          {
            ...fiveKinds,
            services: fiveKinds.services.map(s =>
              s.name === 'game' ? { ...s, version: '2' } : s,
            ),
          },
          { revision: 2 },
        ),
      ),
    );
    const changed = [...after]
      .filter(([k, o]) => {
        const b = before.get(k);
        return !b || JSON.stringify(o.spec) !== JSON.stringify(b.spec);
      })
      .map(([k]) => k);
    // A new version is a new StatefulSet and Service beside the old ones (which the
    // reconciler removes once it is ready): nothing else changes.
    expect(changed).toEqual([
      'apps/v1/StatefulSet/env-feat-login/game-v2',
      'v1/Service/env-feat-login/game-v2',
    ]);
    // The Job keeps its name (and is never patched: its driver creates it once).
    expect([...after.keys()].filter(k => k.includes('/Job/'))).toEqual(
      [...before.keys()].filter(k => k.includes('/Job/')),
    );
  });

  it('covers every rendered kind in the resources the watch cache watches and prune walks', () => {
    for (const o of renderEnvironment(renderInput(fiveKinds))) {
      if (o.kind === 'Namespace') continue;
      const r = resourceOf(o);
      expect(r).toBeDefined();
      expect(ENVIRONMENT_RESOURCES).toContain(r!.name);
      expect(CACHED_RESOURCES).toContain(r!.name);
    }
  });

  it('labels the namespace with the id of every base in its chain, so every base admits its dependants at any depth', () => {
    const child = renderEnvironment(
      renderInput(
        { ...base, base: 'weekly', services: [{ name: 'game', version: '1' }] },
        {
          bases: ['id-weekly', 'id-integration'],
          baseName: 'weekly',
          baseNamespace: 'env-weekly',
        },
      ),
    );
    const ns = find(child, 'Namespace', 'env-feat-login');
    expect(ns.metadata.labels).toMatchObject({
      'archipelago.dev/base': 'weekly',
      'base.archipelago.dev/id-weekly': 'true',
      'base.archipelago.dev/id-integration': 'true',
    });
    expect(ns.metadata.annotations).toMatchObject({
      'archipelago.dev/environment-id': 'id-feat-login',
    });
    const root = renderEnvironment(
      renderInput({
        name: 'integration',
        owner: 'group:default/backend',
        purpose: 'integration',
        services: [{ name: 'global', version: '1' }],
      }),
    );
    expect(
      find(root, 'NetworkPolicy', 'environment-isolation').spec.ingress[0].from,
    ).toContainEqual({
      namespaceSelector: {
        matchLabels: { 'base.archipelago.dev/id-integration': 'true' },
      },
    });
    // Only by id: a namesake's dependants (labelled with another id) are not admitted.
    expect(
      JSON.stringify(
        find(root, 'NetworkPolicy', 'environment-isolation').spec.ingress,
      ),
    ).not.toContain('"archipelago.dev/base"');
  });
});

describe('pods are hardened by default', () => {
  const podSpecs = (objs: Manifest[]) =>
    objs
      .map(
        (o: any) =>
          o.spec?.template?.spec ??
          o.spec?.jobTemplate?.spec?.template?.spec ??
          // An island is a bare Pod.
          (o.kind === 'Pod' ? o.spec : undefined),
      )
      .filter(Boolean);

  it('drops every capability, forbids escalation, runs as non-root with the runtime seccomp profile and mounts no token, for every kind (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WORKLOAD_KINDS), kind => {
        const objs = renderEnvironment(
          renderInput(
            {
              ...base,
              services: [
                {
                  name: 'svc',
                  image: 'registry.local/studio/svc:1',
                  kind,
                  ports:
                    kind === 'http' || kind === 'socket'
                      ? [{ name: 'main', port: 8080 }]
                      : undefined,
                  schedule: kind === 'cron' ? '*/5 * * * *' : undefined,
                  ...(kind === 'island' ? { island: { ports: ['main'] } } : {}),
                },
              ],
            },
            {
              islands: [
                {
                  id: 1,
                  service: 'svc',
                  ports: { main: 7000 },
                  desired: 'running',
                  launch: 1,
                  launched: 0,
                },
              ],
            },
          ),
        );
        const [pod] = podSpecs(objs);
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.securityContext).toEqual({
          runAsNonRoot: true,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(pod.containers[0].securityContext).toEqual({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      }),
    );
  });

  it('takes root and capabilities only from the service definition', () => {
    const input = renderInput({
      ...base,
      services: [{ name: 'global', version: '1' }],
    });
    input.services[0] = {
      ...input.services[0],
      security: { runAsRoot: true, capabilities: ['SYS_TIME', 'NET_ADMIN'] },
    };
    const [pod] = podSpecs(renderEnvironment(input));
    expect(pod.securityContext).toEqual({
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers[0].securityContext.capabilities).toEqual({
      drop: ['ALL'],
      add: ['NET_ADMIN', 'SYS_TIME'],
    });
  });

  it('labels the namespace for Pod Security admission, and lets no spec label override it', () => {
    const objs = renderEnvironment(
      renderInput(
        { ...base, services: [{ name: 'global', version: '1' }] },
        { podSecurity: { enforce: 'restricted', warn: 'restricted' } },
      ),
    );
    expect(
      find(objs, 'Namespace', 'env-feat-login').metadata.labels,
    ).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  it('lets pods call only their environment, their bases, DNS and the configured CIDRs', () => {
    const objs = renderEnvironment(
      renderInput(
        {
          ...base,
          base: 'integration',
          services: [{ name: 'game', version: '1' }],
        },
        {
          baseNamespace: 'env-weekly',
          fallbacks: [
            {
              service: 'global',
              environment: 'integration',
              namespace: 'env-integration',
            },
          ],
          egressCidrs: ['10.20.0.0/16'],
        },
      ),
    );
    const np = find(objs, 'NetworkPolicy', 'environment-egress');
    expect(np.spec.policyTypes).toEqual(['Egress']);
    expect(np.spec.egress).toEqual([
      { to: [{ podSelector: {} }] },
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'env-integration' },
            },
          },
        ],
      },
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'env-weekly' },
            },
          },
        ],
      },
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
            },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] },
    ]);
  });
});

describe('secrets and long names', () => {
  it("renders secret values into the environment's Secret and pods read them by reference", () => {
    const input = renderInput({
      ...base,
      services: [
        {
          name: 'global',
          version: '1',
          secrets: {
            API_KEY: { secretKeyRef: { name: 'studio-keys', key: 'api' } },
            DB_PASSWORD: {
              secretKeyRef: {
                name: 'archipelago-secrets',
                key: 'global.DB_PASSWORD',
              },
            },
          },
        },
      ],
    });
    const objs = renderEnvironment({
      ...input,
      secretValues: { 'global.DB_PASSWORD': 'hunter2' },
    });
    expect(find(objs, 'Secret', 'archipelago-secrets')).toMatchObject({
      type: 'Opaque',
      data: { 'global.DB_PASSWORD': Buffer.from('hunter2').toString('base64') },
    });
    const env = find(objs, 'Deployment', 'global-v1').spec.template.spec
      .containers[0].env;
    expect(env.filter((e: any) => e.valueFrom?.secretKeyRef)).toEqual([
      {
        name: 'API_KEY',
        valueFrom: { secretKeyRef: { name: 'studio-keys', key: 'api' } },
      },
      {
        name: 'DB_PASSWORD',
        valueFrom: {
          secretKeyRef: {
            name: 'archipelago-secrets',
            key: 'global.DB_PASSWORD',
          },
        },
      },
    ]);
    // No values, no Secret.
    expect(renderEnvironment(input).some(o => o.kind === 'Secret')).toBe(false);
  });

  it('keeps app.kubernetes.io/instance within 63 characters, unique per service (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/),
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,39}$/), {
          minLength: 1,
          maxLength: 4,
        }),
        (env, names) => {
          const objs = renderEnvironment(
            renderInput({
              name: env,
              owner: 'group:default/backend',
              purpose: 'feature',
              services: names.map(n => ({
                name: n,
                image: `registry.local/studio/${n}:1`,
                ports: [{ name: 'http', port: 8080 }],
              })),
            }),
          );
          const instances = new Set<string>();
          for (const o of objs.filter(m => m.kind === 'Deployment')) {
            const v = o.metadata.labels['app.kubernetes.io/instance'];
            expect(v.length).toBeLessThanOrEqual(63);
            expect(v).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
            instances.add(v);
          }
          expect(instances.size).toBe(names.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
