import fc from 'fast-check';
import { emptySnapshot } from '../cluster/WatchCache';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import type { Manifest, RenderInput } from '../render/types';
import { driverFor } from '../workloads';
import { versionsLeaving } from './retire';

const spec = (service: Record<string, unknown>) => ({
  name: 'gray',
  owner: 'group:default/backend',
  purpose: 'feature',
  services: [service],
});
const gateway: RenderInput['routing'] = {
  type: 'gateway',
  gateway: { name: 'gw', namespace: 'gateways', sectionName: 'http' },
};
const of = (objs: Manifest[], kind: string) =>
  objs.filter(o => o.kind === kind).map(o => o.metadata.name);
const find = (objs: Manifest[], kind: string, name: string) =>
  objs.find(o => o.kind === kind && o.metadata.name === name) as any;

const released = {
  name: 'global',
  version: '1.0.0000',
  ingress: { host: 'g.dev.local', path: '/api' },
  versions: [
    { version: '1.0.0001', header: '1.0.0001', weight: 10, replicas: 2 },
    { version: '1.0.0002', weight: 5 },
  ],
};

describe('rendering versions side by side', () => {
  it('gives each version a Deployment and a Service, and the route a header rule per version and the weights', () => {
    const objs = renderEnvironment({
      ...renderInput(spec(released)),
      routing: gateway,
    });
    expect(of(objs, 'Deployment')).toEqual([
      'global-v1-0-0000',
      'global-v1-0-0001',
      'global-v1-0-0002',
    ]);
    expect(of(objs, 'Service')).toEqual([
      'global-v1-0-0000',
      'global-v1-0-0001',
      'global-v1-0-0002',
      'global',
    ]);
    expect(find(objs, 'Deployment', 'global-v1-0-0001').spec.replicas).toBe(2);
    const route = find(objs, 'HTTPRoute', 'global');
    expect(route.spec.parentRefs[0]).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      namespace: 'gateways',
      name: 'gw',
      sectionName: 'http',
    });
    const path = { path: { type: 'PathPrefix', value: '/api' } };
    expect(route.spec.rules).toEqual([
      {
        matches: [
          {
            ...path,
            headers: [{ type: 'Exact', name: 'Version', value: '1.0.0001' }],
          },
        ],
        backendRefs: [
          {
            group: '',
            kind: 'Service',
            name: 'global-v1-0-0001',
            port: 20001,
            weight: 1,
          },
        ],
      },
      {
        matches: [path],
        backendRefs: [
          ['global-v1-0-0000', 85],
          ['global-v1-0-0001', 10],
          ['global-v1-0-0002', 5],
        ].map(([name, weight]) => ({
          group: '',
          kind: 'Service',
          name,
          port: 20001,
          weight,
        })),
      },
    ]);
  });

  it('renders ingress-nginx canaries per version when the cluster routes with it', () => {
    const objs = renderEnvironment({
      ...renderInput(spec({ ...released, versions: [released.versions[0]] })),
      routing: { type: 'ingress-nginx' },
    });
    expect(of(objs, 'HTTPRoute')).toEqual([]);
    const main = find(objs, 'Ingress', 'global');
    expect(main.metadata.annotations).toBeUndefined();
    expect(main.spec.rules[0].http.paths[0].backend.service.name).toBe(
      'global-v1-0-0000',
    );
    const canary = find(objs, 'Ingress', 'global-v1-0-0001');
    expect(canary.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-by-header': 'Version',
      'nginx.ingress.kubernetes.io/canary-by-header-value': '1.0.0001',
      'nginx.ingress.kubernetes.io/canary-weight': '10',
    });
    expect(canary.spec.rules[0].http.paths[0].backend.service.name).toBe(
      'global-v1-0-0001',
    );
  });

  it('keeps a stateful service with persistent volumes on one StatefulSet named after it', () => {
    const objs = renderEnvironment(
      renderInput(spec({ name: 'matching', version: '3' })),
    );
    expect(of(objs, 'StatefulSet')).toEqual(['matching']);
    expect(find(objs, 'StatefulSet', 'matching').spec.serviceName).toBe(
      'matching',
    );
  });

  it('leaves the replicas to an HPA per version, counts the maximum, and still stops to zero', () => {
    const input = renderInput(
      spec({
        name: 'global',
        version: '1',
        autoscaling: { min: 2, max: 5, cpu: 60 },
        versions: [{ version: '2', header: '2' }],
      }),
    );
    const objs = renderEnvironment(input);
    for (const d of ['global-v1', 'global-v2'])
      expect('replicas' in find(objs, 'Deployment', d).spec).toBe(false);
    expect(
      of(objs, 'HorizontalPodAutoscaler').map(n => [
        n,
        find(objs, 'HorizontalPodAutoscaler', n).spec.scaleTargetRef.name,
        find(objs, 'HorizontalPodAutoscaler', n).spec.behavior,
      ]),
    ).toEqual([
      [
        'global-v1',
        'global-v1',
        { scaleDown: { stabilizationWindowSeconds: 300 } },
      ],
      [
        'global-v2',
        'global-v2',
        { scaleDown: { stabilizationWindowSeconds: 300 } },
      ],
    ]);
    const svc = input.services[0];
    expect(driverFor('http').requests(svc, input).pods).toBe(10);
    const stopped = renderEnvironment({ ...input, stopped: ['global'] });
    expect(find(stopped, 'Deployment', 'global-v1').spec.replicas).toBe(0);
    expect(
      driverFor('http').requests(svc, { ...input, stopped: ['global'] }),
    ).toMatchObject({ pods: 0 });
  });

  it('property: names never collide, every backend has its Service, and weights add up to 100', () => {
    let runs = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[0-9][0-9a-z.]{0,6}[0-9a-z]$/), {
          minLength: 1,
          maxLength: 5,
          selector: v => v.replace(/[^a-z0-9]+/g, '-'),
        }),
        fc.array(fc.integer({ min: 0, max: 25 }), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.boolean(),
        (versions, weights, headers) => {
          const [primary, ...others] = versions;
          const input = {
            ...renderInput(
              spec({
                name: 'global',
                version: primary,
                ingress: { host: 'g.dev.local' },
                versions: others.map((v, i) => ({
                  version: v,
                  weight: weights[i],
                  ...(headers ? { header: `h${i}` } : {}),
                })),
              }),
            ),
            routing: gateway,
          };
          const objs = renderEnvironment(input);
          const keys = objs.map(o => `${o.kind}/${o.metadata.name}`);
          const services = new Set(of(objs, 'Service'));
          const route = find(objs, 'HTTPRoute', 'global');
          const refs = route.spec.rules.flatMap((r: any) => r.backendRefs);
          const last = route.spec.rules[route.spec.rules.length - 1];
          return (
            new Set(keys).size === keys.length &&
            of(objs, 'Deployment').length === versions.length &&
            refs.every((b: any) => services.has(b.name)) &&
            last.backendRefs.reduce((n: number, b: any) => n + b.weight, 0) ===
              100 &&
            route.spec.rules.length === 1 + (headers ? others.length : 0) &&
            ++runs > 0
          );
        },
      ),
    );
    expect(runs).toBe(100);
  });
});

describe('versions a service is leaving', () => {
  it('are the workloads of a running service it no longer renders, with their Service and HPA', () => {
    const before = renderEnvironment(
      renderInput(
        spec({
          name: 'global',
          version: '1',
          autoscaling: { min: 1, max: 2, cpu: 50 },
        }),
      ),
    );
    const input = renderInput(
      spec({
        name: 'global',
        version: '2',
        autoscaling: { min: 1, max: 2, cpu: 50 },
      }),
    );
    const after = renderEnvironment(input);
    const snapshot = emptySnapshot();
    for (const o of before) {
      const bucket = {
        Deployment: 'deployments',
        Service: 'services',
        HorizontalPodAutoscaler: 'horizontalpodautoscalers',
      }[o.kind] as keyof typeof snapshot | undefined;
      if (bucket) snapshot[bucket].push(o as any);
    }
    expect(
      versionsLeaving(input, after, snapshot).map(
        o => `${o.kind}/${o.metadata.name}`,
      ),
    ).toEqual([
      'Deployment/global-v1',
      'Service/global-v1',
      'HorizontalPodAutoscaler/global-v1',
    ]);
    // A stopped service keeps nothing it no longer renders.
    expect(
      versionsLeaving({ ...input, stopped: ['global'] }, after, snapshot),
    ).toEqual([]);
  });
});
