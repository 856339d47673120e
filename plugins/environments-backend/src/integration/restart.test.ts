/*
 * The embedded default keeps data: a backend on a SQLite file (as scripts/start.sh runs it) is
 * stopped and started again on the same file, and remembers every environment, revision and
 * operation; a deploy queued just before the stop runs after the start.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import knexFactory, { Knex } from 'knex';
import {
  eventually,
  startEnvironmentsBackend,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

describe('a restart of the backend on a SQLite file', () => {
  const file = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'archipelago-restart-')),
    'environments.sqlite',
  );
  const open = () =>
    knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
    });
  let knex: Knex | undefined;
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>> | undefined;
  const name = uniqueName('restart');

  afterAll(async () => {
    await ctx?.api.delete(`/environments/${name}`);
    await ctx?.backend.stop();
    await knex?.destroy();
  });

  it('forgets nothing, and runs what was queued before the stop', async () => {
    knex = open();
    ctx = await startEnvironmentsBackend({ knex });
    const created = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global' }],
    });
    expect(created.status).toBe(202);
    await eventually(`${name} to be Ready`, async () => {
      const env = (await ctx!.api.get(`/environments/${name}`)).body;
      return env.status?.phase === 'Ready' ? env : undefined;
    });
    const deploy = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'deploy',
      services: [{ name: 'global', version: '20211001' }],
    });
    expect(deploy.status).toBe(202);
    const before = (await ctx.api.get(`/environments/${name}`)).body;
    await ctx.backend.stop();
    await knex.destroy();

    knex = open();
    ctx = await startEnvironmentsBackend({ knex });
    const after = (await ctx.api.get(`/environments/${name}`)).body;
    expect(after).toMatchObject({
      name,
      revision: 2,
      createdAt: before.createdAt,
      expiresAt: before.expiresAt,
    });
    const revisions = (await ctx.api.get(`/environments/${name}/revisions`))
      .body.items;
    expect(revisions.map((r: any) => [r.revision, r.reason])).toEqual([
      [2, 'deploy global@20211001'],
      [1, 'create'],
    ]);
    const ops = await eventually('the deploy to have run', async () => {
      const items = (await ctx!.api.get(`/environments/${name}/operations`))
        .body.items;
      return items[0]?.status === 'succeeded' ? items : undefined;
    });
    expect(ops.map((o: any) => [o.type, o.status])).toEqual([
      ['deploy', 'succeeded'],
      ['create', 'succeeded'],
    ]);
    const env = (await ctx.api.get(`/environments/${name}`)).body;
    expect(
      env.status.services.map((s: any) => [s.name, s.version, s.health]),
    ).toEqual([['global', '20211001', 'Ready']]);
  });
});
