import { resolved } from '../render/testFixtures';
import { checkReach } from './reach';

const policy = {
  allowedRegistries: ['registry.local/studio/'],
  allowedNodeSelectorKeys: ['archipelago.dev/pool'],
  allowedCapabilities: ['SYS_TIME'],
  ingressHostSuffix: '.dev.studio.local',
  egressCidrs: [],
};
const spec = (services: unknown[]) =>
  resolved({
    name: 'feat',
    owner: 'group:default/backend',
    purpose: 'feature',
    services,
  }).services;

describe('checkReach', () => {
  it('accepts what the policy allows', () => {
    const services = spec([
      {
        name: 'global',
        version: '1',
        nodeSelector: { 'archipelago.dev/pool': 'game' },
        ingress: { host: 'feat.dev.studio.local' },
      },
    ]);
    expect(checkReach(services, policy, { cluster: 'local' })).toEqual([]);
    // No policy: anything goes, but capabilities (none allowed by default).
    expect(checkReach(services, undefined, { cluster: 'local' })).toEqual([]);
  });

  it('names the field of each thing the policy refuses', () => {
    const services = spec([
      {
        name: 'global',
        image: 'docker.io/evil/miner:1',
        nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
        ingress: { host: 'shop.studio.com' },
      },
    ]);
    const errors = checkReach(services, policy, { cluster: 'local' });
    expect(errors.map(e => e.path)).toEqual([
      'services[0].image',
      'services[0].nodeSelector.node-role.kubernetes.io/control-plane',
      'services[0].ingress.host',
    ]);
    expect(errors[0].message).toContain('allowedRegistries');
    expect(errors[2].message).toContain('.dev.studio.local');
  });

  it("refuses another environment's host, and one path twice within an environment", () => {
    const services = spec([
      { name: 'global', version: '1', ingress: { host: 'a.dev.studio.local' } },
      {
        name: 'game',
        version: '1',
        kind: 'http',
        ingress: { host: 'a.dev.studio.local' },
      },
      {
        name: 'matching',
        version: '1',
        kind: 'http',
        ports: [{ name: 'http', port: 80 }],
        volumes: [],
        ingress: { host: 'b.dev.studio.local' },
      },
    ]);
    const errors = checkReach(services, policy, {
      cluster: 'local',
      heldHosts: [{ host: 'b.dev.studio.local', environment: 'other' }],
    });
    expect(errors).toEqual([
      {
        path: 'services[1].ingress.path',
        message: expect.stringContaining('service "global"'),
      },
      {
        path: 'services[2].ingress.host',
        message: expect.stringContaining('environment "other"'),
      },
    ]);
  });

  it('allows capabilities only from the allow-list', () => {
    const [svc] = spec([{ name: 'global', version: '1' }]);
    const withCaps = {
      ...svc,
      security: { capabilities: ['SYS_TIME', 'NET_ADMIN'] },
    };
    const errors = checkReach([withCaps], policy, { cluster: 'local' });
    expect(errors).toEqual([
      {
        path: 'services[0].security.capabilities',
        message: expect.stringMatching(
          /^NET_ADMIN.*allowedCapabilities: SYS_TIME/,
        ),
      },
    ]);
    expect(
      checkReach([withCaps], undefined, { cluster: 'local' }).map(
        e => e.message,
      ),
    ).toEqual([
      expect.stringContaining('SYS_TIME'),
      expect.stringContaining('NET_ADMIN'),
    ]);
  });

  it('reads a registry prefix as a whole registry: registry.local is not registry.local.evil.io', () => {
    const [svc] = spec([
      { name: 'global', image: 'registry.local.evil.io/x:1' },
    ]);
    expect(
      checkReach(
        [svc],
        { ...policy, allowedRegistries: ['registry.local'] },
        {
          cluster: 'local',
        },
      ).map(e => e.path),
    ).toEqual(['services[0].image']);
    const [ok] = spec([{ name: 'global', image: 'registry.local/x:1' }]);
    expect(
      checkReach(
        [ok],
        { ...policy, allowedRegistries: ['registry.local'] },
        {
          cluster: 'local',
        },
      ),
    ).toEqual([]);
  });
});
