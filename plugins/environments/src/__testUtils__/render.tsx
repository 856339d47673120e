import { ReactElement } from 'react';
import { Route, Routes } from 'react-router-dom';
import { discoveryApiRef, identityApiRef } from '@backstage/core-plugin-api';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { environmentsApiRef } from '../api';
import { rootRouteRef } from '../routes';
import { EnvironmentsPage } from '../components/EnvironmentsPage/EnvironmentsPage';
import { FakeEnvironmentsApi, FakeSignalApi } from './fakes';

export interface RenderOptions {
  api: FakeEnvironmentsApi;
  signals?: FakeSignalApi;
  /** Which permissions the user has; all by default. */
  allow?: (permission: string) => boolean;
}

/** Renders an element in a legacy test app with the plugin's APIs faked. */
export function renderWithApis(
  element: ReactElement,
  path: string,
  options: RenderOptions,
) {
  const signals = options.signals ?? new FakeSignalApi();
  const allow = options.allow ?? (() => true);
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [environmentsApiRef, options.api],
        // The terminal connects to the backend's URL.
        [
          discoveryApiRef,
          mockApis.discovery({ baseUrl: 'http://backend.test' }),
        ],
        [signalApiRef, signals],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: request =>
              allow(request.permission.name)
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          }),
        ],
        [
          identityApiRef,
          mockApis.identity({
            token: 'guest-token',
            userEntityRef: 'user:default/guest',
            ownershipEntityRefs: [
              'user:default/guest',
              'group:default/backend',
            ],
          }),
        ],
      ]}
    >
      {element}
    </TestApiProvider>,
    {
      routeEntries: [path],
      mountedRoutes: {
        '/environments': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

/** Renders the environments pages at a path under /environments. */
export function renderEnvironments(path: string, options: RenderOptions) {
  return renderWithApis(
    <Routes>
      <Route path="/environments/*" element={<EnvironmentsPage />} />
    </Routes>,
    path,
    options,
  );
}
