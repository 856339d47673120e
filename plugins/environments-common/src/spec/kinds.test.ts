import { resolveServices } from './validation';
import { environmentSpecSchema } from './schema';
import { KIND_RULES, WORKLOAD_KINDS } from '..';

const resolve = (service: Record<string, unknown>) =>
  resolveServices(
    environmentSpecSchema.parse({
      name: 'feat',
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [{ name: 'svc', image: 'registry.local/svc:1', ...service }],
    }),
    () => undefined,
  );

describe('per-kind rules', () => {
  it('has rules for every kind', () => {
    expect(Object.keys(KIND_RULES).sort()).toEqual([...WORKLOAD_KINDS].sort());
  });

  it('names the field of each rule a kind breaks', () => {
    expect(resolve({ kind: 'http' })).toEqual({
      success: false,
      errors: [
        {
          path: 'services[0].ports',
          message:
            'is required for a http service (none in the request or the definition)',
        },
      ],
    });
    expect(resolve({ kind: 'cron' })).toMatchObject({
      errors: [
        {
          path: 'services[0].schedule',
          message: 'is required for a cron service',
        },
      ],
    });
    expect(resolve({ kind: 'backend', schedule: '* * * * *' })).toMatchObject({
      errors: [
        { path: 'services[0].schedule', message: 'is only for cron services' },
      ],
    });
    expect(
      resolve({ kind: 'backend', ingress: { host: 'svc.dev.local' } }),
    ).toMatchObject({
      errors: [
        {
          path: 'services[0].ingress',
          message: 'is only for http and socket services',
        },
      ],
    });
    expect(
      resolve({
        kind: 'job',
        volumes: [
          { name: 'code', type: 'code', mountPath: '/code' },
          { name: 'data', type: 'persistent', mountPath: '/data' },
        ],
      }),
    ).toEqual({
      success: false,
      errors: [
        {
          path: 'services[0].volumes[1].type',
          message:
            '"persistent" is only for http, socket and backend services; a job service can mount "code" or "scratch" volumes',
        },
      ],
    });
  });

  it('accepts what each kind allows', () => {
    expect(
      resolve({ kind: 'socket', ports: [{ name: 'game', port: 10001 }] })
        .success,
    ).toBe(true);
    expect(resolve({ kind: 'cron', schedule: '0 4 * * *' }).success).toBe(true);
    expect(
      resolve({
        kind: 'backend',
        volumes: [{ name: 'data', type: 'persistent', mountPath: '/data' }],
      }).success,
    ).toBe(true);
  });
});
