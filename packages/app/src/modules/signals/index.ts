import {
  ApiBlueprint,
  createFrontendModule,
  discoveryApiRef,
  identityApiRef,
} from '@backstage/frontend-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import { SignalClient } from '@backstage/plugin-signals';

/**
 * How long the signals socket may take to open. Backstage's client gives it 1 s, then waits
 * 5 s before it tries again; a busy backend (the first token check fetches its keys, a rollout
 * of hundreds of pods) often needs longer, and every signal sent meanwhile is lost.
 */
export const SIGNALS_CONNECT_TIMEOUT_MS = 10_000;

/** The signals API of @backstage/plugin-signals, with a connect timeout a busy backend meets. */
export const signalsModule = createFrontendModule({
  pluginId: 'signals',
  extensions: [
    ApiBlueprint.make({
      params: defineParams =>
        defineParams({
          api: signalApiRef,
          deps: { identity: identityApiRef, discoveryApi: discoveryApiRef },
          factory: ({ identity, discoveryApi }) =>
            SignalClient.create({
              identity,
              discoveryApi,
              connectTimeout: SIGNALS_CONNECT_TIMEOUT_MS,
            }),
        }),
    }),
  ],
});
