import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { readEnvironmentsConfig } from './config';

const read = (environments: JsonObject) =>
  readEnvironmentsConfig(mockServices.rootConfig({ data: { environments } }));

describe('readEnvironmentsConfig: queue and registrars', () => {
  it('defaults the lease to 60 s, queue attempts to 5 and registrar attempts to 20', () => {
    const config = read({});
    expect(config.queue.leaseMs).toBe(60_000);
    expect(config.queue.maxAttempts).toBe(5);
    expect(config.registrars.maxAttempts).toBe(20);
  });

  it('takes a lease of 10 s and more', () => {
    expect(read({ queue: { leaseSeconds: 10 } }).queue.leaseMs).toBe(10_000);
    expect(read({ queue: { leaseSeconds: 3600 } }).queue.leaseMs).toBe(
      3_600_000,
    );
  });

  it.each([3, 9, 0, -5, 12.5, 3601])(
    'refuses a lease of %p s, naming the key',
    leaseSeconds => {
      expect(() => read({ queue: { leaseSeconds } })).toThrow(
        'Invalid config environments.queue.leaseSeconds: must be a whole number of seconds from 10 to 3600',
      );
    },
  );

  it('refuses a lease that is not a number', () => {
    expect(() => read({ queue: { leaseSeconds: '30s' } })).toThrow(
      /environments\.queue\.leaseSeconds/,
    );
  });

  it('takes and validates environments.registrars.maxAttempts', () => {
    expect(
      read({ registrars: { maxAttempts: 3 } }).registrars.maxAttempts,
    ).toBe(3);
    for (const maxAttempts of [0, 2.5, 1001])
      expect(() => read({ registrars: { maxAttempts } })).toThrow(
        'Invalid config environments.registrars.maxAttempts: must be a whole number from 1 to 1000',
      );
    // The webhook sits beside it.
    expect(
      read({
        registrars: { maxAttempts: 7, webhook: { url: 'https://x.example' } },
      }),
    ).toMatchObject({
      registrars: { maxAttempts: 7 },
      webhook: { url: 'https://x.example' },
    });
  });

  it('validates environments.queue.maxAttempts', () => {
    expect(read({ queue: { maxAttempts: 1 } }).queue.maxAttempts).toBe(1);
    expect(() => read({ queue: { maxAttempts: 0 } })).toThrow(
      'Invalid config environments.queue.maxAttempts: must be a whole number from 1 to 100',
    );
  });
});

describe('readEnvironmentsConfig: security and limits', () => {
  it('defaults the limits, and refuses bad ones by key', () => {
    expect(read({}).limits).toEqual({
      environmentsPerOwner: 20,
      queuedOperationsPerOwner: 50,
      logFollowsPerUser: 5,
      logFollowSeconds: 3600,
      logSinceSeconds: 7 * 86400,
    });
    expect(() => read({ limits: { environmentsPerOwner: 0 } })).toThrow(
      'Invalid config environments.limits.environmentsPerOwner: must be a whole number from 1 to 10000',
    );
    expect(() => read({ limits: { logFollowDuration: '2d' } })).toThrow(
      'Invalid config environments.limits.logFollowDuration: "2d" must be from 10s to 86400s',
    );
    expect(() => read({ limits: { logSince: 'forever' } })).toThrow(
      /environments\.limits\.logSince/,
    );
  });

  it('reads each cluster policy and Pod Security levels, naming bad keys', () => {
    const cluster = (policy: JsonObject) => ({
      clusters: [
        {
          name: 'local',
          url: 'https://127.0.0.1:1',
          serviceAccountToken: 't',
          policy,
        },
      ],
    });
    expect(
      read(
        cluster({
          allowedCapabilities: ['SYS_TIME'],
          egressCidrs: ['10.0.0.0/8'],
        }),
      ).clusters[0].policy,
    ).toEqual({
      allowedRegistries: undefined,
      allowedNodeSelectorKeys: undefined,
      allowedCapabilities: ['SYS_TIME'],
      ingressHostSuffix: undefined,
      egressCidrs: ['10.0.0.0/8'],
    });
    expect(() => read(cluster({ egressCidrs: ['10.0.0.0'] }))).toThrow(
      'Invalid config environments.clusters[0].policy.egressCidrs[0]: "10.0.0.0" must be an IPv4 CIDR such as "10.0.0.0/8"',
    );
    expect(() => read(cluster({ allowedCapabilities: ['net_admin'] }))).toThrow(
      /clusters\[0\]\.policy\.allowedCapabilities\[0\]/,
    );
    expect(read({}).purposes.feature.podSecurity).toEqual({
      enforce: 'baseline',
      warn: 'restricted',
    });
    expect(() =>
      read({ purposes: { feature: { podSecurity: { enforce: 'none' } } } }),
    ).toThrow(
      'Invalid config environments.purposes.feature.podSecurity.enforce: "none" must be one of privileged, baseline, restricted',
    );
  });
});

describe('readEnvironmentsConfig: island ranges', () => {
  const cluster = (islands: JsonObject) =>
    read({
      clusters: [
        {
          name: 'local',
          url: 'https://127.0.0.1:1',
          serviceAccountToken: 't',
          islands,
        },
      ],
    }).clusters[0].islands;

  it('reads a range, the NodePort range it must keep out of, and the first id', () => {
    expect(cluster({ ports: '7000-7999' })).toEqual({
      ports: { from: 7000, to: 7999 },
      nodePorts: { from: 30000, to: 32767 },
      firstId: 1,
    });
    expect(
      cluster({
        ports: '20000-20099',
        nodePortRange: '20100-20999',
        firstId: 269,
      }),
    ).toMatchObject({ firstId: 269, nodePorts: { from: 20100, to: 20999 } });
  });

  it.each([
    [
      { ports: '30500-30600' },
      "overlaps the cluster's NodePort range 30000-32767",
    ],
    [{ ports: '7000-7010' }, 'has 11 ports; an island range needs at least 16'],
    [{ ports: '7999-7000' }, 'must be a port range such as "7000-7999"'],
    [{ ports: 'lots' }, 'must be a port range such as "7000-7999"'],
    [
      { nodePortRange: '1-2' },
      'environments.clusters[0].islands.ports: is required',
    ],
    [
      { ports: '7000-7999', firstId: 0 },
      'environments.clusters[0].islands.firstId',
    ],
  ])('refuses %j at start-up, naming the key', (islands, message) => {
    expect(() => cluster(islands as JsonObject)).toThrow(message);
  });
});

describe('readEnvironmentsConfig: routing', () => {
  const routing = (value?: JsonObject) =>
    read({
      clusters: [
        {
          name: 'local',
          url: 'https://127.0.0.1:1',
          serviceAccountToken: 't',
          ...(value ? { routing: value } : {}),
        },
      ],
    }).clusters[0].routing;

  it('defaults to the Gateway API, and reads the Gateway routes attach to', () => {
    expect(routing()).toEqual({ type: 'gateway' });
    expect(
      routing({
        gateway: { name: 'gw', namespace: 'infra', sectionName: 'web' },
      }),
    ).toEqual({
      type: 'gateway',
      gateway: { name: 'gw', namespace: 'infra', sectionName: 'web' },
    });
    expect(routing({ type: 'ingress-nginx' })).toEqual({
      type: 'ingress-nginx',
    });
  });

  it.each([
    [
      { type: 'istio' },
      'environments.clusters[0].routing.type: "istio" must be one of gateway, ingress-nginx, none',
    ],
    [
      { type: 'none', gateway: { name: 'gw', namespace: 'x' } },
      'environments.clusters[0].routing.gateway: only for type gateway, not none',
    ],
    [
      { gateway: { name: 'GW', namespace: 'x' } },
      'environments.clusters[0].routing.gateway.name: "GW" must be a DNS label',
    ],
  ])('refuses %j at start-up, naming the key', (value, message) => {
    expect(() => routing(value as JsonObject)).toThrow(message);
  });
});

describe('readEnvironmentsConfig: requests in flight', () => {
  const cluster = (extra: JsonObject = {}) =>
    read({
      clusters: [
        {
          name: 'local',
          url: 'https://127.0.0.1:1',
          serviceAccountToken: 't',
          ...extra,
        },
      ],
    }).clusters[0];

  it('defaults to 16 and reads a whole number', () => {
    expect(cluster().maxRequestsInFlight).toBe(16);
    expect(cluster({ maxRequestsInFlight: 4 }).maxRequestsInFlight).toBe(4);
  });

  it.each([0, 1001, 2.5, 'many'])('refuses %j, naming the key', value => {
    expect(() => cluster({ maxRequestsInFlight: value as any })).toThrow(
      /environments\.clusters\[0\]\.maxRequestsInFlight: .* must be a whole number from 1 to 1000/,
    );
  });
});

describe('readEnvironmentsConfig: alerts', () => {
  it('defaults the rules per purpose, with expiryWarning as expiringWithin', () => {
    const config = read({
      purposes: {
        perf: { expiryWarning: '2h', alerts: { islandDown: 'off' } },
      },
    });
    expect(config.purposes.feature.alerts).toEqual({
      degraded: 300,
      crashLoop: 120,
      islandDown: 120,
      operationFailed: 0,
      expiring: 3600,
    });
    expect(config.purposes.perf.alerts).toMatchObject({
      islandDown: null,
      expiring: 7200,
    });
    expect(config.alerts).toEqual({
      channels: [],
      checkIntervalSeconds: 30,
      deliveryAttempts: 3,
    });
  });

  it('reads channels', () => {
    expect(
      read({
        alerts: {
          checkInterval: '2m',
          channels: [
            {
              name: 'team-ding',
              type: 'dingtalk',
              url: 'https://oapi.dingtalk.com/robot/send?access_token=x',
              secret: 'SECx',
              default: true,
            },
            { name: 'ops', type: 'slack', url: 'https://hooks.slack.com/x' },
          ],
        },
      }).alerts,
    ).toEqual({
      checkIntervalSeconds: 120,
      deliveryAttempts: 3,
      channels: [
        {
          name: 'team-ding',
          type: 'dingtalk',
          url: 'https://oapi.dingtalk.com/robot/send?access_token=x',
          secret: 'SECx',
          default: true,
        },
        {
          name: 'ops',
          type: 'slack',
          url: 'https://hooks.slack.com/x',
          default: false,
        },
      ],
    });
  });

  it.each([
    [
      { purposes: { feature: { alerts: { degradedFor: 'soon' } } } },
      'Invalid config environments.purposes.feature.alerts.degradedFor: "soon" must be a duration',
    ],
    [
      { purposes: { sandbox: { alerts: { operationFailed: '5m' } } } },
      'Invalid config environments.purposes.sandbox.alerts.operationFailed: "5m" must be "on" or "off"',
    ],
    [
      {
        alerts: { channels: [{ name: 'x', type: 'teams', url: 'https://a' }] },
      },
      'Invalid config environments.alerts.channels[0].type: "teams" must be one of dingtalk, feishu, wecom, slack',
    ],
    [
      { alerts: { channels: [{ name: 'x', type: 'slack', url: 'ftp://a' }] } },
      'Invalid config environments.alerts.channels[0].url: must be an http(s) URL',
    ],
    [
      {
        alerts: {
          channels: [
            { name: 'x', type: 'wecom', url: 'https://a', secret: 's' },
          ],
        },
      },
      'Invalid config environments.alerts.channels[0].secret: only dingtalk and feishu channels sign',
    ],
    [
      {
        alerts: {
          channels: [
            { name: 'x', type: 'slack', url: 'https://a' },
            { name: 'x', type: 'slack', url: 'https://b' },
          ],
        },
      },
      'Invalid config environments.alerts.channels[1].name: "x" names another channel too',
    ],
    [
      { alerts: { checkInterval: '0s' } },
      'Invalid config environments.alerts.checkInterval: "0s" must be a duration from 1s to 60m',
    ],
    [
      { alerts: { deliveryAttempts: 11 } },
      'Invalid config environments.alerts.deliveryAttempts: must be a whole number from 1 to 10',
    ],
  ])('refuses %j, naming the field', (environments, message) => {
    expect(() => read(environments as JsonObject)).toThrow(message);
  });
});
