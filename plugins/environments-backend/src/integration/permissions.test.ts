/*
 * The permission matrix (issue #11): every route, for an owner, a non-owner, an
 * unauthenticated caller and a service, through the real permission backend with an owner-only
 * policy like the demo app's, against the local test cluster. Every refusal is asserted.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import fs from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import {
  eventually,
  startEnvironmentsBackend,
  uniqueName,
} from '../__testUtils__/harness';
import { ownerOnlyPermissions } from '../__testUtils__/permissions';

jest.setTimeout(240_000);

type Caller = 'owner' | 'other' | 'anonymous' | 'service';
const headers: Record<Caller, Record<string, string>> = {
  owner: { Authorization: mockCredentials.user.header('user:default/owner') },
  other: { Authorization: mockCredentials.user.header('user:default/other') },
  anonymous: {},
  service: { Authorization: mockCredentials.service.header() },
};

describe('the permission matrix', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const name = uniqueName('matrix');
  const created: string[] = [];
  let pod = '';
  let operation = '';

  const call = (
    caller: Caller,
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    body?: unknown,
  ) => {
    let r = request(ctx.backend.server)[method](`/api/environments${path}`);
    for (const [k, v] of Object.entries(headers[caller])) r = r.set(k, v);
    return body === undefined ? r : r.send(body as object);
  };
  const spec = (n: string) => ({
    name: n,
    owner: 'group:default/backend',
    purpose: 'sandbox',
    services: [{ name: 'global' }],
  });

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      rootConfig: { permission: { enabled: true } },
      features: ownerOnlyPermissions(),
    });
    const res = await call('owner', 'post', '/environments', spec(name));
    if (res.status !== 202) throw new Error(`create answered ${res.text}`);
    created.push(name);
    operation = res.body.operation.id;
    await eventually(`${name} to be Ready`, async () => {
      const env = (await call('owner', 'get', `/environments/${name}`)).body;
      return env.status?.phase === 'Ready' ? env : undefined;
    });
    pod = (await call('owner', 'get', `/environments/${name}/pods`)).body
      .items[0].name;
  });

  afterAll(async () => {
    for (const n of created)
      await call('service', 'delete', `/environments/${n}`);
    await ctx?.backend.stop();
  });

  /** [what, method, path, body, expected status per caller]. */
  const reads = () =>
    [
      ['list', 'get', '/environments'],
      ['get', 'get', `/environments/${name}`],
      ['operations', 'get', `/environments/${name}/operations`],
      ['operation', 'get', `/environments/${name}/operations/${operation}`],
      ['revisions', 'get', `/environments/${name}/revisions`],
      ['registry', 'get', `/environments/${name}/registry`],
      ['resolve', 'get', `/environments/${name}/resolve/global`],
      ['pods', 'get', `/environments/${name}/pods`],
      ['topology', 'get', `/environments/${name}/topology`],
      ['config', 'get', `/environments/${name}/config`],
      ['alerts', 'get', `/environments/${name}/alerts`],
      ['events', 'get', `/environments/${name}/events`],
      ['islands', 'get', `/environments/${name}/islands`],
      ['island ledger', 'get', '/clusters/local/islands'],
      ['clusters', 'get', '/clusters'],
    ] as const;

  it('lets everyone signed in read, and nobody anonymous', async () => {
    for (const [what, method, path] of reads()) {
      for (const caller of ['owner', 'other', 'service'] as const) {
        const res = await call(caller, method, path);
        expect([what, caller, res.status]).toEqual([what, caller, 200]);
      }
      const anonymous = await call('anonymous', method, path);
      expect([what, anonymous.status]).toEqual([what, 401]);
      expect(anonymous.body.error.name).toBe('AuthenticationError');
    }
    // Health is for load balancers: no credentials needed.
    expect((await call('anonymous', 'get', '/health')).status).toBe(200);
  });

  it('lets only owners and services read logs', async () => {
    const path = `/environments/${name}/pods/${pod}/logs?tailLines=5`;
    const own = await call('owner', 'get', path);
    expect([own.status, own.text]).toEqual([200, expect.anything()]);
    expect((await call('service', 'get', path)).status).toBe(200);
    const other = await call('other', 'get', path);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain(
      'environments.environment.logs.read',
    );
    expect((await call('anonymous', 'get', path)).status).toBe(401);
  });

  it('lets only owners and services change an environment', async () => {
    const path = `/environments/${name}/operations`;
    const body = { type: 'restart' };
    const other = await call('other', 'post', path, body);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain(
      'environments.environment.update',
    );
    expect((await call('anonymous', 'post', path, body)).status).toBe(401);
    // Nothing was queued by the refusals.
    const before = (await call('owner', 'get', path)).body.items.length;
    expect((await call('owner', 'post', path, body)).status).toBe(202);
    expect((await call('service', 'post', path, body)).status).toBe(202);
    expect((await call('owner', 'get', path)).body.items.length).toBe(
      before + 2,
    );
  });

  it('lets any reader watch, and only owners and services change alert rules and channels', async () => {
    const watch = `/environments/${name}/alerts/watch`;
    const other = await call('other', 'put', watch);
    expect([other.status, other.body.watching]).toEqual([200, true]);
    expect(other.body.watchers).toContain('user:default/other');
    // Watching is the caller's own: the owner does not watch because another does.
    expect(
      (await call('owner', 'get', `/environments/${name}/alerts`)).body
        .watching,
    ).toBe(false);
    const off = await call('other', 'delete', watch);
    expect([off.status, off.body.watching]).toEqual([200, false]);
    // A service has no inbox; anonymous callers are nobody.
    expect((await call('service', 'put', watch)).status).toBe(400);
    expect((await call('anonymous', 'put', watch)).status).toBe(401);
    expect((await call('anonymous', 'delete', watch)).status).toBe(401);

    const path = `/environments/${name}/alerts`;
    const body = { rules: { degradedFor: '10m' } };
    const refused = await call('other', 'put', path, body);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(
      'environments.environment.update',
    );
    expect((await call('anonymous', 'put', path, body)).status).toBe(401);
    // Invalid input names the field, and nothing changes.
    const bad = await call('owner', 'put', path, {
      rules: { degradedFor: '10m', crashLoop: 'soon' },
      channels: ['nowhere'],
    });
    expect([bad.status, bad.body.errors.map((e: any) => e.path)]).toEqual([
      400,
      ['rules.crashLoop', 'channels[0]'],
    ]);
    const unknown = await call('owner', 'put', path, {
      rules: { often: '1m' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('rules.often');
    const before = (await call('owner', 'get', path)).body;
    expect(
      before.rules.find((r: any) => r.key === 'degradedFor'),
    ).toMatchObject({ value: '5m', source: 'purpose' });
    const own = await call('owner', 'put', path, body);
    expect(own.status).toBe(200);
    expect(own.body.rules.find((r: any) => r.key === 'degradedFor')).toEqual({
      rule: 'degraded',
      key: 'degradedFor',
      value: '10m',
      source: 'environment',
      purposeDefault: '5m',
    });
    expect((await call('service', 'put', path, { rules: {} })).status).toBe(
      200,
    );
  });

  it('lets only owners and services apply a spec to an environment, and creates only for their own', async () => {
    const path = `/environments/${name}`;
    const changed = { ...spec(name), title: 'applied' };
    delete (changed as any).name;
    const other = await call('other', 'put', path, changed);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain(
      'environments.environment.update',
    );
    expect((await call('anonymous', 'put', path, changed)).status).toBe(401);
    expect((await call('owner', 'get', path)).body.title).toBeUndefined();
    const own = await call('owner', 'put', path, changed);
    expect([own.status, own.body.operation?.type]).toEqual([202, 'apply']);
    expect((await call('owner', 'get', path)).body.title).toBe('applied');
    // A service applies to any environment; the same spec again changes nothing.
    const again = await call('service', 'put', path, changed);
    expect([again.status, again.body.changed]).toEqual([200, false]);
    // A PUT that would create is a create: the caller's own groups only.
    const foreign = await call('other', 'put', `${path}-p`, spec(`${name}-p`));
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/^owner: /);
  });

  it('lets only owners and services change islands and clocks', async () => {
    const path = `/environments/${name}/operations`;
    for (const body of [
      { type: 'island-add', service: 'global', count: 1 },
      { type: 'island-restart', island: 1 },
      { type: 'clock', clock: { offset: '+1d' } },
    ]) {
      const other = await call('other', 'post', path, body);
      expect([body.type, other.status]).toEqual([body.type, 403]);
      expect(other.body.error.message).toContain(
        'environments.environment.update',
      );
    }
    // The owner is let through, and told what is wrong: global is no island service.
    const own = await call('owner', 'post', path, {
      type: 'island-add',
      service: 'global',
      count: 1,
    });
    expect([own.status, own.body.errors?.[0]?.path]).toEqual([400, 'service']);
  });

  it('lets only owners and services run release steps', async () => {
    const path = `/environments/${name}/operations`;
    for (const body of [
      { type: 'release-start', service: 'global', version: '2', weight: 10 },
      { type: 'release-weight', service: 'global', version: '2', weight: 20 },
      { type: 'release-promote', service: 'global', version: '2' },
      { type: 'release-abort', service: 'global', version: '2' },
    ]) {
      const other = await call('other', 'post', path, body);
      expect([body.type, other.status]).toEqual([body.type, 403]);
      expect(other.body.error.message).toContain(
        'environments.environment.update',
      );
      expect((await call('anonymous', 'post', path, body)).status).toBe(401);
    }
    // The owner is let through, and told what is wrong: no release is under way.
    const own = await call('owner', 'post', path, {
      type: 'release-promote',
      service: 'global',
      version: '2',
    });
    expect([own.status, own.body.errors?.[0]?.path]).toEqual([400, 'version']);
  });

  it('creates only for the caller’s own groups, and services for anyone', async () => {
    const dry = '/environments?dryRun=true';
    expect((await call('owner', 'post', dry, spec(`${name}-d`))).status).toBe(
      200,
    );
    expect((await call('service', 'post', dry, spec(`${name}-d`))).status).toBe(
      200,
    );
    for (const path of [dry, '/environments']) {
      const other = await call('other', 'post', path, spec(`${name}-o`));
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(/^owner: /);
      expect(
        (await call('anonymous', 'post', path, spec(`${name}-o`))).status,
      ).toBe(401);
    }
    expect((await call('other', 'get', `/environments/${name}-o`)).status).toBe(
      404,
    );
    const byService = await call(
      'service',
      'post',
      '/environments',
      spec(`${name}-s`),
    );
    expect(byService.status).toBe(202);
    created.push(`${name}-s`);
    expect(byService.body.environment.createdBy).toMatch(/^service:/);
  });

  it('uses a base only with permission on it', async () => {
    const dependant = {
      name: `${name}-b`,
      owner: 'group:default/qa',
      purpose: 'sandbox',
      base: name,
    };
    const other = await call(
      'other',
      'post',
      '/environments?dryRun=true',
      dependant,
    );
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(
      /^base: you may not use environment .* environments\.environment\.base\.use/,
    );
  });

  it('lets only owners and services destroy', async () => {
    const path = `/environments/${name}`;
    const other = await call('other', 'delete', path);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain(
      'environments.environment.delete',
    );
    expect((await call('anonymous', 'delete', path)).status).toBe(401);
    expect((await call('owner', 'get', path)).body.destroyedAt).toBeUndefined();
    expect((await call('owner', 'delete', path)).status).toBe(202);
  });

  it('covers every route of openapi.yaml', () => {
    const openapi = parse(
      fs.readFileSync(join(__dirname, '../schema/openapi.yaml'), 'utf8'),
    );
    const routes = Object.entries(openapi.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object)
        .filter(m => ['get', 'post', 'delete', 'put', 'patch'].includes(m))
        .map(m => `${m.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /health',
        'GET /environments',
        'POST /environments',
        'GET /environments/{name}',
        'PUT /environments/{name}',
        'DELETE /environments/{name}',
        'GET /environments/{name}/operations',
        'POST /environments/{name}/operations',
        'GET /environments/{name}/operations/{id}',
        'GET /environments/{name}/revisions',
        'GET /environments/{name}/registry',
        'GET /environments/{name}/resolve/{service}',
        'GET /environments/{name}/pods',
        'GET /environments/{name}/topology',
        'GET /environments/{name}/config',
        'GET /environments/{name}/alerts',
        'PUT /environments/{name}/alerts',
        'PUT /environments/{name}/alerts/watch',
        'DELETE /environments/{name}/alerts/watch',
        'GET /environments/{name}/events',
        'GET /environments/{name}/pods/{pod}/logs',
        'GET /environments/{name}/islands',
        'GET /clusters/{cluster}/islands',
        'GET /clusters',
      ].sort(),
    );
  });
});
