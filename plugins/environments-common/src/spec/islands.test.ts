import { resolveServices } from './validation';
import { environmentSpecSchema } from './schema';
import { operationRequestSchema } from './operations';
import {
  clockSchema,
  fakeNow,
  faketimeSpec,
  fillTemplate,
  templateProblems,
} from './islands';

const definition = {
  image: 'registry.local/altraserver',
  defaultVersion: '1',
  kind: 'island' as const,
  island: {
    ports: ['app-common-port', 'server-port'],
    command: [
      'sh',
      '/home/seed.sh',
      '{{id}}',
      '{{port:server-port}}',
      '{{clock}}',
    ],
  },
};

const resolve = (service: Record<string, unknown>) =>
  resolveServices(
    environmentSpecSchema.parse({
      name: 'qa',
      owner: 'group:default/qa',
      purpose: 'sandbox',
      services: [{ name: 'altraserver', ...service }],
    }),
    () => definition as any,
  );

describe('island services', () => {
  it('resolve with the definition’s ports and template, the request’s count, and no replicas', () => {
    const r = resolve({ island: { count: 3 } });
    expect(r.success && r.value[0]).toMatchObject({
      kind: 'island',
      replicas: 0,
      island: {
        count: 3,
        ports: ['app-common-port', 'server-port'],
        readinessPort: 'server-port',
        faketimeLibrary: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      },
    });
  });

  it('refuse what islands do not take, naming each field', () => {
    const r = resolve({
      replicas: 2,
      ports: [{ name: 'game', port: 1 }],
      command: ['x'],
      env: { ISLAND_ID: '1', SERVER_PORT: '2' },
      island: { readinessPort: 'nope', command: ['{{port:nope}}', '{{who}}'] },
    });
    expect(r.success ? [] : r.errors.map(e => e.path).sort()).toEqual(
      [
        'services[0].command',
        'services[0].island.command[0]',
        'services[0].island.command[1]',
        'services[0].island.readinessPort',
        'services[0].ports',
        'services[0].replicas',
      ].sort(),
    );
    const vars = resolve({
      env: { ISLAND_ID: '1', SERVER_PORT: '2', OK: '3' },
    });
    expect(vars.success ? [] : vars.errors.map(e => e.path)).toEqual([
      'services[0].env.ISLAND_ID',
      'services[0].env.SERVER_PORT',
    ]);
  });

  it('refuse island settings on other kinds', () => {
    const r = resolveServices(
      environmentSpecSchema.parse({
        name: 'qa',
        owner: 'group:default/qa',
        purpose: 'sandbox',
        services: [
          {
            name: 'web',
            image: 'r.local/web:1',
            ports: [{ name: 'http', port: 80 }],
            island: { count: 1 },
          },
        ],
      }),
      () => undefined,
    );
    expect(r.success ? [] : r.errors).toEqual([
      { path: 'services[0].island', message: 'is only for island services' },
    ]);
  });
});

describe('clocks', () => {
  it('take real time, a start or an offset, and refuse anything else by field', () => {
    expect(clockSchema.safeParse({}).success).toBe(true);
    expect(
      clockSchema.safeParse({ start: '2021-09-18 23:30:07' }).success,
    ).toBe(true);
    expect(clockSchema.safeParse({ offset: '-2h' }).success).toBe(true);
    for (const bad of [
      { start: '2021-02-30 00:00:00' },
      { start: '2021-09-18T23:30:07' },
      { offset: 'tomorrow' },
      { start: '2021-09-18 23:30:07', offset: '+1d' },
      { when: 'now' },
    ])
      expect([bad, clockSchema.safeParse(bad).success]).toEqual([bad, false]);
  });

  it('render as libfaketime reads them, and read back as the time a process sees', () => {
    expect(faketimeSpec(undefined)).toBe('+0');
    expect(faketimeSpec({ start: '2021-09-18 23:30:07' })).toBe(
      '@2021-09-18 23:30:07',
    );
    expect(faketimeSpec({ offset: '+3d' })).toBe('+3d');
    const now = new Date('2026-12-01T10:00:00Z');
    expect(fakeNow({ offset: '+3d' }, now).toISOString()).toBe(
      '2026-12-04T10:00:00.000Z',
    );
    expect(fakeNow({ offset: '-90' }, now).toISOString()).toBe(
      '2026-12-01T09:58:30.000Z',
    );
    expect(
      fakeNow(
        { start: '2021-09-18 23:30:07' },
        now,
        new Date('2026-12-01T09:59:00Z'),
      ).toISOString(),
    ).toBe('2021-09-18T23:31:07.000Z');
  });

  it('are set by a clock operation, for the environment or one island', () => {
    expect(
      operationRequestSchema.safeParse({ type: 'clock', clock: {} }).success,
    ).toBe(true);
    expect(
      operationRequestSchema.safeParse({
        type: 'clock',
        clock: null,
        island: 4,
      }).success,
    ).toBe(true);
    expect(
      operationRequestSchema.safeParse({ type: 'clock', clock: null }).success,
    ).toBe(false);
  });
});

describe('command templates', () => {
  it('fill in the id, ports and clock, and name unknown placeholders', () => {
    expect(
      fillTemplate(definition.island.command, {
        id: 269,
        ports: { 'server-port': 7809 },
        clock: { start: '2021-09-18 23:30:07' },
      }),
    ).toEqual(['sh', '/home/seed.sh', '269', '7809', '2021-09-18 23:30:07']);
    expect(
      templateProblems(
        ['{{ id }}', '{{port:x}}', '{{clock}}'],
        ['server-port'],
      ),
    ).toEqual([
      {
        index: 1,
        message: '"{{port:x}}" names no port of island.ports (server-port)',
      },
    ]);
  });
});
