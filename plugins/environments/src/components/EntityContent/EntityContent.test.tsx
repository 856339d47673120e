import { screen, waitFor, within } from '@testing-library/react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import {
  FakeEnvironmentsApi,
  environment,
  service,
} from '../../__testUtils__/fakes';
import { renderWithApis } from '../../__testUtils__/render';
import { EntityEnvironmentsContent } from './EntityEnvironmentsContent';
import {
  EntityEnvironmentContent,
  isEnvironmentResource,
} from './EntityEnvironmentContent';

const component: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'game', namespace: 'default' },
  spec: { type: 'service', owner: 'group:default/backend' },
};

const resource: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'feature-login',
    namespace: 'default',
    annotations: { 'archipelago.dev/environment': 'feature-login' },
  },
  spec: { type: 'environment', owner: 'group:default/backend' },
};

describe('EntityEnvironmentsContent', () => {
  it('lists where a component runs, at which version and with which status', async () => {
    const api = new FakeEnvironmentsApi([
      environment('feature-login', {
        status: {
          phase: 'Degraded',
          reasons: [],
          observedAt: new Date().toISOString(),
          services: [
            service('game', {
              version: '20211001',
              health: 'Degraded',
              readyReplicas: 0,
            }),
          ],
        },
      }),
    ]);
    await renderWithApis(
      <EntityProvider entity={component}>
        <EntityEnvironmentsContent />
      </EntityProvider>,
      '/catalog/default/component/game/environments',
      { api },
    );
    const row = (
      await screen.findByRole('link', { name: 'feature-login' })
    ).closest('tr')!;
    expect(within(row).getByText('20211001')).toBeInTheDocument();
    expect(within(row).getAllByText('Degraded')).toHaveLength(2);
    expect(within(row).getByText('0/1')).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'game' })).toHaveAttribute(
      'href',
      '/environments/feature-login/pods?service=game',
    );
    // The backend does the filtering, by the component's ref.
    expect(api.callsOf('listEnvironments')).toEqual([
      [{ component: 'component:default/game' }],
    ]);
  });
});

describe('EntityEnvironmentContent', () => {
  it('shows the environment page on its Resource entity', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    await renderWithApis(
      <EntityProvider entity={resource}>
        <EntityEnvironmentContent />
      </EntityProvider>,
      '/catalog/default/resource/feature-login/environment',
      { api },
    );
    expect(
      await screen.findByRole('tab', { name: 'Pods' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Stop game' })).toBeEnabled(),
    );
    expect(api.callsOf('getEnvironment')[0]).toEqual(['feature-login']);
  });

  it('recognises environment Resources by their annotation', () => {
    expect(isEnvironmentResource(resource)).toBe(true);
    expect(isEnvironmentResource(component)).toBe(false);
    expect(
      isEnvironmentResource({
        ...resource,
        metadata: { name: 'db', namespace: 'default' },
      }),
    ).toBe(false);
  });
});
