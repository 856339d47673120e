import { screen, within } from '@testing-library/react';
import { FakeEnvironmentsApi, environment } from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

describe('RegistryTab', () => {
  it('lists registered instances and what the base answers for', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    const entry = {
      environment: 'feature-login',
      service: 'game',
      version: '20211001',
      instance: 'game-0',
      address: '10.0.0.7',
      ports: [
        { name: 'game', port: 10001 },
        { name: 'health', port: 10002 },
      ],
      ready: true,
      node: 'kwok-node-3',
      registeredAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    api.registry.set('feature-login', {
      items: [entry],
      resolved: [
        {
          environment: 'feature-login',
          service: 'global',
          answeredBy: 'integration',
          chain: ['feature-login', 'integration'],
          address: 'global.env-integration.svc.cluster.local',
          instances: [{ ...entry, service: 'global', instance: 'global-0' }],
        },
      ],
    });
    await renderEnvironments('/environments/feature-login/registry', { api });
    const row = (await screen.findByText('game-0')).closest('tr')!;
    expect(
      within(row).getByText('game:10001, health:10002'),
    ).toBeInTheDocument();
    expect(within(row).getByText('10.0.0.7')).toBeInTheDocument();
    const resolved = screen
      .getByText('feature-login → integration')
      .closest('tr')!;
    expect(
      within(resolved).getByRole('link', { name: 'integration' }),
    ).toHaveAttribute(
      'href',
      '/environments/integration/registry?service=global',
    );
    expect(
      within(resolved).getByText('global.env-integration.svc.cluster.local'),
    ).toBeInTheDocument();
  });
});
