import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import { createRouter } from '../service/router';

/** Every route the router serves is described in openapi.yaml, and nothing else is. */
describe('openapi.yaml', () => {
  it('describes exactly the routes the router serves', async () => {
    const spec = parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    const documented = Object.entries(
      spec.paths as Record<string, Record<string, unknown>>,
    )
      .flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter(m => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
          .map(m => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      .sort();
    const router = await createRouter({
      service: {} as any,
      store: {} as any,
      reconciler: {} as any,
      httpAuth: mockServices.httpAuth(),
      userInfo: mockServices.userInfo(),
      permissions: mockServices.permissions(),
      auditor: {} as any,
    });
    const served = (router as any).stack
      .filter((l: any) => l.route)
      .flatMap((l: any) =>
        Object.keys(l.route.methods).map(
          m => `${m.toUpperCase()} ${l.route.path}`,
        ),
      )
      .sort();
    expect(served).toEqual(documented);
    expect(documented.length).toBeGreaterThan(10);
  });
});
