import { screen } from '@testing-library/react';
import {
  createExtensionTester,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import type { Entity } from '@backstage/catalog-model';
import plugin, {
  entityEnvironmentContent,
  entityEnvironmentsContent,
  environmentsPage,
} from './alpha';
import { environmentsApiRef } from './api';
import {
  FakeEnvironmentsApi,
  FakeSignalApi,
  environment,
} from './__testUtils__/fakes';

function apis() {
  const api = new FakeEnvironmentsApi([environment('feature-login')]);
  return {
    api,
    pairs: [
      [environmentsApiRef, api],
      [signalApiRef, new FakeSignalApi()],
    ] as const,
  };
}

describe('the /alpha plugin for the new frontend system', () => {
  it('is the environments plugin, with its routes', () => {
    expect(plugin.id).toBe('environments');
    expect(Object.keys(plugin.routes).sort()).toEqual(['environment', 'root']);
    expect(Object.keys(plugin.externalRoutes)).toEqual(['createEnvironment']);
  });

  it('mounts the environments pages at /environments', async () => {
    const tester = createExtensionTester(environmentsPage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/environments');

    const { api, pairs } = apis();
    renderTestApp({
      extensions: [environmentsPage],
      initialRouteEntries: ['/environments'],
      // Owners link to their catalog pages.
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      apis: pairs as any,
    });
    // The page is also the sidebar's entry.
    expect(
      await screen.findByRole('link', { name: 'Environments' }),
    ).toHaveAttribute('href', '/environments');
    // The page's code loads lazily; the first load compiles it.
    expect(
      await screen.findByRole(
        'link',
        { name: 'feature-login' },
        { timeout: 15_000 },
      ),
    ).toBeInTheDocument();
    expect(api.callsOf('listEnvironments').length).toBeGreaterThan(0);
  }, 30_000);

  it('adds the Environments tab to Components', async () => {
    const component: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'game', namespace: 'default' },
      spec: { type: 'service' },
    };
    const { api, pairs } = apis();
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: component }),
        entityEnvironmentsContent,
      ],
      apis: pairs as any,
    });
    expect(
      await screen.findByText('Environments running game'),
    ).toBeInTheDocument();
    expect(api.callsOf('listEnvironments')).toEqual([
      [{ component: 'component:default/game' }],
    ]);
  });

  it('shows the environment on its Resource entity', async () => {
    const resource: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'feature-login',
        namespace: 'default',
        annotations: { 'archipelago.dev/environment': 'feature-login' },
      },
      spec: { type: 'environment' },
    };
    const { api, pairs } = apis();
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: resource }),
        entityEnvironmentContent,
      ],
      apis: pairs as any,
    });
    expect(
      await screen.findByRole('tab', { name: 'Logs' }),
    ).toBeInTheDocument();
    expect(api.callsOf('getEnvironment')[0]).toEqual(['feature-login']);
  });
});
