import { mockServices } from '@backstage/backend-test-utils';
import type { Environment } from '@archipelago/plugin-environments-common';
import {
  EnvironmentEntityProvider,
  environmentEntity,
} from './EnvironmentEntityProvider';

const env = (over: Partial<Environment> = {}): Environment =>
  ({
    name: 'feature-login',
    title: 'Feature login',
    owner: 'group:default/client',
    purpose: 'feature',
    cluster: 'local',
    namespace: 'env-feature-login',
    base: 'integration',
    labels: {},
    revision: 1,
    spec: {
      name: 'feature-login',
      owner: 'group:default/client',
      purpose: 'feature',
      services: [
        { name: 'game', version: '20210501' },
        { name: 'lobby', component: 'component:default/gateway' },
      ],
    },
    stopped: false,
    createdAt: '2026-11-22T00:00:00Z',
    updatedAt: '2026-11-22T00:00:00Z',
    createdBy: 'user:default/guest',
    expiresAt: '2026-11-25T00:00:00Z',
    status: { phase: 'Ready', reasons: [], services: [], observedAt: '' },
    ...over,
  } as any);

describe('environmentEntity', () => {
  it('is a Resource of type environment with owner, link and relations', () => {
    const entity = environmentEntity(env(), 'http://portal.example/');
    expect(entity).toMatchObject({
      kind: 'Resource',
      metadata: {
        name: 'feature-login',
        title: 'Feature login',
        links: [
          {
            url: 'http://portal.example/environments/feature-login',
            title: 'Environment',
          },
        ],
        annotations: {
          'archipelago.dev/namespace': 'env-feature-login',
          'archipelago.dev/expires-at': '2026-11-25T00:00:00Z',
          'backstage.io/kubernetes-namespace': 'env-feature-login',
          'backstage.io/kubernetes-label-selector':
            'archipelago.dev/environment=feature-login',
        },
      },
      spec: {
        type: 'environment',
        owner: 'group:default/client',
        dependsOn: [
          'component:default/game',
          'component:default/gateway',
          'resource:default/integration',
        ],
      },
    });
  });
});

describe('EnvironmentEntityProvider', () => {
  it('replaces the whole set each run, so destroyed environments vanish', async () => {
    const listEnvironments = jest
      .fn()
      .mockResolvedValueOnce({
        items: [env(), env({ name: 'integration', base: undefined })],
      })
      .mockResolvedValueOnce({
        items: [
          env({ name: 'integration', base: undefined }),
          env({ status: { phase: 'Destroying' } as any }),
        ],
      });
    const applyMutation = jest.fn();
    const provider = new EnvironmentEntityProvider({
      client: { listEnvironments },
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      appBaseUrl: 'http://portal.example',
    });
    await provider.connect({ applyMutation, refresh: jest.fn() });

    expect(await provider.refresh()).toBe(2);
    expect(await provider.refresh()).toBe(1);
    const [first, second] = applyMutation.mock.calls.map(c => c[0]);
    expect(first.type).toBe('full');
    expect(first.entities.map((e: any) => e.entity.metadata.name)).toEqual([
      'feature-login',
      'integration',
    ]);
    expect(second.entities.map((e: any) => e.entity.metadata.name)).toEqual([
      'integration',
    ]);
    // It reads as itself, with a service token for the environments backend.
    expect(listEnvironments.mock.calls[0][1].token).toContain('environments');
  });
});
