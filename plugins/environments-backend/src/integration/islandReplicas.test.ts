/*
 * Two backends on one PostgreSQL allocate islands at the same time with no collision (issue
 * #12): two whole environments backends, each with its own connection pool to the same
 * database and its own operation worker, take island-add requests at once for environments on
 * the test cluster. Every id and port comes out unique, and every island runs.
 */
import knexFactory, { Knex } from 'knex';
import type { IslandView } from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

const url = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const database = `islands_${Date.now().toString(36)}`;

describe('two backends on one PostgreSQL', () => {
  let admin: Knex | undefined;
  const pools: Knex[] = [];
  const backends: Array<Awaited<ReturnType<typeof startEnvironmentsBackend>>> =
    [];
  const names = [uniqueName('rep0'), uniqueName('rep1')];

  beforeAll(async () => {
    if (!url)
      throw new Error(
        'This test needs PostgreSQL (BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING); scripts/test.sh starts one',
      );
    admin = knexFactory({ client: 'pg', connection: url });
    await admin.raw(`create database ${database}`);
    const target = new URL(url);
    target.pathname = `/${database}`;
    for (let i = 0; i < 2; i++) {
      const knex = knexFactory({
        client: 'pg',
        connection: target.toString(),
        pool: { min: 0, max: 5 },
      });
      pools.push(knex);
      // One at a time: the first runs the migrations.
      backends.push(
        await startEnvironmentsBackend({
          knex,
          cluster: { islands: { ports: '9000-9999' } },
        }),
      );
    }
  });

  afterAll(async () => {
    const [a] = backends;
    if (a)
      await Promise.all(
        names.map(async n => {
          const res = await a.api.delete(`/environments/${n}`);
          if (res.status !== 202) return;
          await eventually(`${n} to be destroyed`, async () =>
            (
              await a.api.get(`/environments/${n}`)
            ).body.destroyedAt
              ? true
              : undefined,
          ).catch(() => undefined);
        }),
      );
    for (const b of backends) await b.backend.stop();
    for (const p of pools) await p.destroy();
    await admin?.raw(`drop database if exists ${database} with (force)`);
    await admin?.destroy();
  });

  it('gives every island a unique id and port block, from either backend', async () => {
    const [a, b] = backends;
    for (const name of names) {
      const res = await a.api.post('/environments', {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'altraserver' }],
      });
      expect(res.status).toBe(202);
    }
    // Ten requests at each backend at once, across both environments.
    const adds = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? b : a).api.post(
          `/environments/${names[i % 4 < 2 ? 0 : 1]}/operations`,
          {
            type: 'island-add',
            service: 'altraserver',
            count: 1,
          },
        ),
      ),
    );
    expect(
      adds.map(r => [r.status, r.status === 202 ? undefined : r.body]),
    ).toEqual(Array(20).fill([202, undefined]));
    for (const [i, r] of adds.entries()) {
      const name = names[i % 4 < 2 ? 0 : 1];
      const op = await eventually(
        `operation ${r.body.id} to finish`,
        async () => {
          const o = (
            await a.api.get(`/environments/${name}/operations/${r.body.id}`)
          ).body;
          return o.status === 'succeeded' || o.status === 'failed'
            ? o
            : undefined;
        },
        180_000,
      );
      expect([op.status, op.error]).toEqual(['succeeded', undefined]);
    }
    const all: IslandView[] = [];
    for (const name of names)
      all.push(
        ...(await b.api.get(`/environments/${name}/islands`)).body.items,
      );
    expect(all).toHaveLength(20);
    expect(new Set(all.map(i => i.id)).size).toBe(20);
    const ports = all.flatMap(i => i.ports.map(p => p.port));
    expect(new Set(ports).size).toBe(60);
    expect(all.every(i => i.phase === 'Ready')).toBe(true);
    // Both backends see the same ledger.
    const ledgers = await Promise.all(
      [a, b].map(async x => (await x.api.get('/clusters/local/islands')).body),
    );
    expect(ledgers[0].used).toBe(60);
    expect(ledgers[1]).toEqual(ledgers[0]);
  });
});
