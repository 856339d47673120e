/*
 * Each operation's change to the desired state, from a JSON fixture: stop, start, restart,
 * deploy (version or image), rollback and extend, in order, and refusals that change nothing.
 * Operations are only recorded here; no worker runs them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ServiceDefinition } from '@archipelago/plugin-environments-common';
import { ValidationError } from '../errors';
import { serviceWithoutCluster } from '../__testUtils__/service';

jest.setTimeout(60_000);

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '__fixtures__/operations.json'), 'utf8'),
);
const catalog: Record<string, ServiceDefinition> = {
  'component:default/global': {
    image: 'registry.local/studio/global',
    kind: 'http',
    defaultVersion: '1.0',
    ports: [{ name: 'http', port: 8080 }],
  },
  'component:default/game': {
    image: 'registry.local/studio/game',
    kind: 'socket',
    defaultVersion: '1',
    ports: [{ name: 'game', port: 10001 }],
  },
};

describe("each operation's change to the desired state", () => {
  it('follows the fixture step by step', async () => {
    const { store, reconciler, service } = await serviceWithoutCluster(catalog);
    const user = 'user:default/guest';
    await service.create(fixture.create, user);

    const results: unknown[] = [];
    const expected: unknown[] = [];
    for (const step of fixture.steps) {
      const before = Date.now();
      let refused: unknown;
      try {
        await service.requestOperation(fixture.create.name, step.request, user);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        refused = e.errors;
      }
      const env = (await store.getEnvironment(fixture.create.name))!;
      const [revision] = await store.listRevisions(env.id);
      const input = await reconciler.renderInput(env);
      const seen: Record<string, unknown> = { revision: env.revision };
      const want = step.expect;
      if (want.stopped) seen.stopped = env.stopped;
      if (want.restarted) seen.restarted = Object.keys(env.restartedAt).sort();
      if (want.versions)
        seen.versions = Object.fromEntries(
          input.services.map(s => [s.name, s.version]),
        );
      if (want.reason) seen.reason = revision.reason;
      if (want.expiresInHours)
        seen.expiresInHours = Math.round(
          (env.expiresAt!.getTime() - before) / 3_600_000,
        );
      results.push({ request: step.request, refused, ...seen });
      expected.push({ request: step.request, refused: step.refused, ...want });
    }
    expect(results).toEqual(expected);
    // Every accepted step recorded one operation; refusals recorded none.
    const env = (await store.getEnvironment(fixture.create.name))!;
    const ops = await store.queue.listOperations(env.id);
    expect(ops.map(o => o.type).reverse()).toEqual([
      'create',
      ...fixture.steps
        .filter((s: any) => !s.refused)
        .map((s: any) => s.request.type),
    ]);
  });
});
