import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { mockServices } from '@backstage/backend-test-utils';
import {
  createRouter,
  fieldErrorsFromRequestParser,
  fieldErrorsFromValidator,
} from '../service/router';
import { createAccess } from '../service/access';
import { spec as generated } from './openapi';

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
      access: createAccess({
        userInfo: mockServices.userInfo(),
        permissions: mockServices.permissions(),
        auditor: {} as any,
      }),
      httpAuth: mockServices.httpAuth(),
      auditor: {} as any,
    });
    const served = (router as any).stack
      // The validated router also serves the spec itself.
      .filter((l: any) => l.route && l.route.path !== '/openapi.json')
      .flatMap((l: any) =>
        Object.keys(l.route.methods).map(
          m => `${m.toUpperCase()} ${l.route.path}`,
        ),
      )
      .sort();
    expect(served).toEqual(documented);
    expect(documented.length).toBeGreaterThan(10);
  });

  it('is what the generated router and client were made from (run `yarn generate:openapi`)', () => {
    const spec = parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    expect(generated).toEqual(spec);
  });
});

describe('fieldErrorsFromValidator', () => {
  it("turns the OpenAPI validator's message into field errors", () => {
    expect(
      fieldErrorsFromValidator(
        "request/body/services/0/replicas must be <= 50, request/body must have required property 'owner', request/query/dryRun must be boolean",
      ),
    ).toEqual([
      { path: 'services[0].replicas', message: 'must be <= 50' },
      { path: 'owner', message: 'is required' },
      { path: 'dryRun', message: 'must be boolean' },
    ]);
  });

  it('leaves other messages alone', () => {
    expect(fieldErrorsFromValidator('No pod x in y')).toBeUndefined();
    expect(
      fieldErrorsFromValidator('request/body/name must be string, and more'),
    ).toEqual([{ path: 'name', message: 'must be string, and more' }]);
  });
});

describe('fieldErrorsFromRequestParser', () => {
  it('names the query parameter or the body the OpenAPI router refused, quotes and all', () => {
    expect(
      fieldErrorsFromRequestParser("Unknown query parameter '\u0087'¦~'"),
    ).toEqual([
      {
        path: "\u0087'¦~",
        message: 'is not a query parameter of this route',
      },
    ]);
    expect(
      fieldErrorsFromRequestParser(
        "Empty value found for query parameter 'cluster'",
      ),
    ).toEqual([{ path: 'cluster', message: 'must not be empty' }]);
    expect(
      fieldErrorsFromRequestParser(
        `Unexpected token '\u0000', "\u0000" is not valid JSON`,
      ),
    ).toEqual([
      { path: 'body', message: expect.stringMatching(/^must be JSON/) },
    ]);
    expect(fieldErrorsFromRequestParser('something else')).toBeUndefined();
  });
});
