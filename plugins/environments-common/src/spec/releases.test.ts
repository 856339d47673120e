import fc from 'fast-check';
import { resolveServices } from './validation';
import { environmentSpecSchema } from './schema';
import { operationRequestSchema } from './operations';
import {
  ReleaseRequest,
  VersionTrack,
  applyRelease,
  primaryWeight,
  versionSlug,
  versionedName,
} from './releases';

const definitions: Record<string, any> = {
  'component:default/web': {
    image: 'registry.local/web',
    defaultVersion: '1.0.0000',
    kind: 'http',
    ports: [{ name: 'http', port: 80 }],
  },
  'component:default/gate': {
    image: 'registry.local/gate',
    defaultVersion: '1.0.0000',
    kind: 'socket',
    ports: [{ name: 'ws', port: 81 }],
  },
  'component:default/saves': {
    image: 'registry.local/saves',
    defaultVersion: '1',
    kind: 'backend',
    volumes: [{ name: 'd', type: 'persistent', mountPath: '/d' }],
  },
  'component:default/tick': {
    image: 'registry.local/tick',
    defaultVersion: '1',
    kind: 'cron',
    schedule: '* * * * *',
  },
};

const resolve = (...services: Record<string, unknown>[]) =>
  resolveServices(
    environmentSpecSchema.parse({
      name: 'e',
      owner: 'group:default/a',
      purpose: 'feature',
      services,
    }),
    ref => definitions[ref],
  );

const errors = (r: ReturnType<typeof resolve>) =>
  r.success ? [] : r.errors.map(e => `${e.path}: ${e.message}`);

describe('versions side by side', () => {
  it('resolves each version with its image, weight and header; the primary takes what is left', () => {
    const r = resolve({
      name: 'web',
      versions: [
        { version: '1.0.0001', header: '1.0.0001', weight: 10 },
        { image: 'registry.local/web:hotfix-2', weight: 5 },
      ],
    });
    expect(r.success && r.value[0].versions).toEqual([
      {
        version: '1.0.0001',
        image: 'registry.local/web:1.0.0001',
        replicas: 1,
        weight: 10,
        header: '1.0.0001',
      },
      {
        version: 'hotfix-2',
        image: 'registry.local/web:hotfix-2',
        replicas: 1,
        weight: 5,
      },
    ]);
    expect(primaryWeight(r.success ? r.value[0].versions! : [])).toBe(85);
  });

  it('takes the repository of the primary image when the service has no definition', () => {
    const r = resolve({
      name: 'other',
      kind: 'http',
      image: `registry.local:5000/team/other:1@sha256:${'a'.repeat(64)}`,
      ports: [{ name: 'http', port: 80 }],
      versions: [{ version: '2', header: '2' }],
    });
    expect(r.success && r.value[0].versions?.[0].image).toBe(
      'registry.local:5000/team/other:2',
    );
  });

  it('refuses, by field, a version already running, a header used twice, weights over 100, and kinds that run one version', () => {
    expect(
      errors(
        resolve({
          name: 'web',
          versions: [
            { version: '1.0.0000' },
            { version: '2', header: 'x', weight: 60 },
            { version: '2', header: 'x', weight: 50 },
          ],
        }),
      ),
    ).toEqual([
      'services[0].versions[0].version: "1.0.0000" is already running as the primary version',
      'services[0].versions[2].version: "2" is already running as versions[1]',
      'services[0].versions[2].header: "x" is also versions[1].header',
      "services[0].versions[2].weight: makes the versions' weights add up to 110%, more than 100%",
    ]);
    expect(
      errors(resolve({ name: 'tick', versions: [{ version: '2' }] })),
    ).toEqual([
      'services[0].versions: are only for http, socket and backend services: a cron service runs one version',
    ]);
    expect(
      errors(resolve({ name: 'saves', versions: [{ version: '2' }] })),
    ).toEqual([
      expect.stringMatching(
        /^services\[0\]\.versions: cannot run beside each other on a backend service with persistent volumes/,
      ),
    ]);
  });

  it("refuses versions that would take traffic they cannot serve, or the primary version's own clients", () => {
    expect(
      errors(
        resolve({
          name: 'web',
          versions: [{ version: '2', weight: 10, replicas: 0 }],
        }),
      ),
    ).toEqual([
      'services[0].versions[0].replicas: is 0, but the version takes traffic (a weight or a header): give it replicas, or no traffic',
    ]);
    expect(
      errors(
        resolve({
          name: 'web',
          versions: [{ version: '2', header: '1.0.0000' }],
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^services\[0\]\.versions\[0\]\.header: "1\.0\.0000" is the primary version: its clients would go to 2/,
      ),
    ]);
    expect(
      errors(
        resolve({
          name: 'web',
          autoscaling: { min: 1, max: 3, cpu: 50 },
          versions: [{ version: '2', header: '2', replicas: 2 }],
        }),
      ),
    ).toEqual([
      "services[0].versions[0].replicas: cannot be given with autoscaling: the autoscaler sets each version's replicas between autoscaling.min and max",
    ]);
    expect(
      errors(
        resolve({
          name: 'other',
          kind: 'backend',
          image: 'registry.local/other:1',
          versions: [{ version: '2', weight: 20 }],
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^services\[0\]\.versions\[0\]\.weight: routes nothing: a backend service without ports/,
      ),
    ]);
    // An image pinned by digest alone is known by the digest's start.
    const pinned = resolve({
      name: 'web',
      versions: [{ image: `registry.local/web@sha256:${'ab'.repeat(32)}` }],
    });
    expect(pinned.success && pinned.value[0].versions?.[0].version).toBe(
      'sha256-abababababab',
    );
  });

  it('autoscales http services only, never with replicas in the same request', () => {
    const a = { min: 2, max: 6, cpu: 70 };
    expect(resolve({ name: 'web', autoscaling: a }).success && true).toBe(true);
    expect(errors(resolve({ name: 'gate', autoscaling: a }))).toEqual([
      'services[0].autoscaling: is only for http services',
    ]);
    expect(
      errors(resolve({ name: 'web', autoscaling: a, replicas: 3 })),
    ).toEqual([
      'services[0].replicas: cannot be given with autoscaling: the autoscaler sets the replicas between autoscaling.min and max',
    ]);
    const bad = environmentSpecSchema.safeParse({
      name: 'e',
      owner: 'group:default/a',
      purpose: 'feature',
      services: [{ name: 'web', autoscaling: { min: 5, max: 2, cpu: 50 } }],
    });
    expect(bad.success).toBe(false);
    expect(
      bad.success ? [] : bad.error.issues.map(i => i.path.join('.')),
    ).toEqual(['services.0.autoscaling.max']);
  });
});

describe('release operations', () => {
  const web = { name: 'web', version: '1.0.0000', replicas: 2 };
  const run = (svc: any, ...reqs: ReleaseRequest[]) =>
    reqs.reduce((s, r) => {
      const out = applyRelease(s, r);
      if (!out.ok) throw new Error(`${out.path}: ${out.message}`);
      return out.service;
    }, svc);

  it('starts with a header equal to the version unless a weight is given, and says so in the reason', () => {
    const a = applyRelease(web, {
      type: 'release-start',
      service: 'web',
      version: '1.0.0001',
    });
    expect(a).toEqual({
      ok: true,
      service: {
        ...web,
        versions: [{ version: '1.0.0001', header: '1.0.0001' }],
      },
      reason: 'release web@1.0.0001 (Version: 1.0.0001)',
    });
    const b = applyRelease<{
      name: string;
      version?: string;
      replicas?: number;
      versions?: VersionTrack[];
    }>(web, {
      type: 'release-start',
      service: 'web',
      version: '1.0.0001',
      weight: 10,
    });
    expect(b.ok && b.service.versions).toEqual([
      { version: '1.0.0001', weight: 10 },
    ]);
  });

  it('changes the weight, promotes with the version and replicas, and aborts', () => {
    const started = run(web, {
      type: 'release-start',
      service: 'web',
      version: '1.0.0001',
      replicas: 3,
    });
    expect(
      run(started, {
        type: 'release-weight',
        service: 'web',
        version: '1.0.0001',
        weight: 40,
      }).versions,
    ).toEqual([
      { version: '1.0.0001', header: '1.0.0001', replicas: 3, weight: 40 },
    ]);
    expect(
      run(started, {
        type: 'release-promote',
        service: 'web',
        version: '1.0.0001',
      }),
    ).toEqual({ name: 'web', version: '1.0.0001', replicas: 3 });
    expect(
      run(started, {
        type: 'release-abort',
        service: 'web',
        version: '1.0.0001',
      }),
    ).toEqual(web);
    // An image release promotes to the image.
    const image = run(
      { ...web },
      { type: 'release-start', service: 'web', image: 'r/web:7' },
      { type: 'release-promote', service: 'web', version: '7' },
    );
    expect(image).toEqual({ name: 'web', image: 'r/web:7', replicas: 2 });
  });

  it('refuses a version released twice, and steps for a version not released', () => {
    const started = run(web, {
      type: 'release-start',
      service: 'web',
      version: '2',
    });
    expect(
      applyRelease(started, {
        type: 'release-start',
        service: 'web',
        version: '2',
      }),
    ).toMatchObject({ ok: false, path: 'version' });
    expect(
      applyRelease(web, {
        type: 'release-promote',
        service: 'web',
        version: '2',
      }),
    ).toEqual({
      ok: false,
      path: 'version',
      message: 'web has no release under way: start one with release-start',
    });
    expect(
      applyRelease(started, {
        type: 'release-abort',
        service: 'web',
        version: '3',
      }),
    ).toMatchObject({
      ok: false,
      message: expect.stringMatching(/released: 2/),
    });
  });

  it('parses release requests by field', () => {
    const bad = operationRequestSchema.safeParse({
      type: 'release-weight',
      service: 'web',
      version: '1',
      weight: 120,
    });
    expect(
      bad.success ? [] : bad.error.issues.map(i => i.path.join('.')),
    ).toEqual(['weight']);
    const none = operationRequestSchema.safeParse({
      type: 'release-start',
      service: 'web',
    });
    expect(
      none.success ? [] : none.error.issues.map(i => i.path.join('.')),
    ).toEqual(['version']);
  });
});

describe('version names', () => {
  it('names versions as seed 003 does, within the StatefulSet limit', () => {
    expect(versionedName('http', '1.0.0000')).toBe('http-v1-0-0000');
    expect(versionSlug('RC_1..2')).toBe('rc-1-2');
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]$/),
        (service, version) => {
          const n = versionedName(service, version);
          return (
            n.length <= 52 &&
            /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(n) &&
            versionedName(service, version) === n
          );
        },
      ),
    );
  });

  it('keeps long names apart by a digest', () => {
    const s = 'a'.repeat(40);
    const a = versionedName(s, `${'1'.repeat(20)}a`);
    const b = versionedName(s, `${'1'.repeat(20)}b`);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(52);
  });
});
