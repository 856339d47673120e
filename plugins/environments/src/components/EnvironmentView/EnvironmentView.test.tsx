import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  FakeEnvironmentsApi,
  FakeSignalApi,
  environment,
  operation,
  responseError,
  service,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';
import { IN_FLIGHT_RELOAD_MS } from './EnvironmentContext';

function setup() {
  const api = new FakeEnvironmentsApi([
    environment('feature-login', { title: 'Feature login-v2' }),
    environment('integration', { base: undefined, purpose: 'integration' }),
  ]);
  api.topology.set('feature-login', {
    nodes: [
      {
        id: 'game',
        service: 'game',
        environment: 'feature-login',
        kind: 'socket',
        version: '20211001',
        ready: 1,
        total: 1,
        health: 'Ready',
        address: 'game.env-feature-login.svc.cluster.local',
        fallback: false,
      },
      {
        id: 'global',
        service: 'global',
        environment: 'integration',
        version: '20210422',
        ready: 1,
        total: 1,
        health: 'Ready',
        address: 'global.env-integration.svc.cluster.local',
        fallback: true,
      },
    ],
    edges: [{ from: 'game', to: 'global', fallback: true }],
  });
  return { api, signals: new FakeSignalApi() };
}

describe('EnvironmentView', () => {
  it('shows the header facts and the topology, with fallbacks to the base', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });

    expect(
      await screen.findByRole('heading', { name: 'feature-login' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Feature login-v2 · Feature')).toBeInTheDocument();
    expect(screen.getByText('local / env-feature-login')).toBeInTheDocument();
    expect(screen.getByText('#2')).toBeInTheDocument();

    const game = await screen.findByTestId('topology-node-game');
    expect(game).toHaveTextContent('20211001');
    expect(game).toHaveTextContent('1/1 ready · Ready');
    expect(game).toHaveTextContent('game.env-feature-login.svc.cluster.local');
    const global = screen.getByTestId('topology-node-global');
    expect(global).toHaveTextContent('from integration');
    expect(screen.getByText('falls back to integration')).toBeInTheDocument();

    // The node links to its registry entry in the environment that answers for it.
    // (jsdom leaves SVG foreignObject content out of the accessibility tree.)
    await userEvent.click(within(global).getByText('Registry'));
    await waitFor(() =>
      expect(api.callsOf('getRegistry').at(-1)).toEqual(['integration']),
    );
  });

  it('stops a service through one operation, and follows its steps as signals arrive', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    const stop = await screen.findByRole('button', { name: 'Stop game' });
    api.nextOperation = () =>
      operation('op-stop', { type: 'stop', status: 'pending', steps: [] });
    await userEvent.click(stop);

    expect(api.callsOf('requestOperation')).toEqual([
      ['feature-login', { type: 'stop', services: ['game'] }],
    ]);
    const banner = await screen.findByTestId('operation-banner');
    expect(banner).toHaveTextContent('Stop');
    expect(banner).toHaveTextContent('Queued');

    // The worker runs it: a signal arrives, the banner loads the operation again.
    api.operations.set('feature-login', [
      operation('op-stop', {
        type: 'stop',
        status: 'running',
        steps: [
          { name: 'render', status: 'succeeded' },
          { name: 'apply', status: 'running' },
        ],
      }),
    ]);
    act(() =>
      signals.fire('environments:feature-login', {
        operation: { id: 'op-stop', type: 'stop', status: 'running' },
      }),
    );
    await waitFor(() => expect(banner).toHaveTextContent('Running'));
    expect(within(banner).getByText('apply')).toBeInTheDocument();

    api.operations.set('feature-login', [
      operation('op-stop', {
        type: 'stop',
        status: 'failed',
        error: 'Not ready: game (CrashLoopBackOff)',
        steps: [{ name: 'wait', status: 'failed', message: 'Not ready' }],
      }),
    ]);
    act(() => signals.fire('environments:feature-login', {}));
    expect(
      await within(banner).findByText(/Not ready: game \(CrashLoopBackOff\)/),
    ).toBeInTheDocument();
  });

  it('updates status and services when the backend signals, without polling', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await screen.findByRole('button', { name: 'Stop game' });
    const loads = api.callsOf('getEnvironment').length;
    await new Promise(r => setTimeout(r, 400));
    expect(api.callsOf('getEnvironment')).toHaveLength(loads);

    api.environments.set(
      'feature-login',
      environment('feature-login', {
        status: {
          phase: 'Degraded',
          reasons: ['game: game-0: CrashLoopBackOff (exit code 1, 5 restarts)'],
          services: [
            service('game', {
              health: 'Degraded',
              readyReplicas: 0,
              reasons: ['game-0: CrashLoopBackOff (exit code 1, 5 restarts)'],
            }),
          ],
          observedAt: new Date().toISOString(),
        },
      }),
    );
    act(() =>
      signals.fire('environments:feature-login', { phase: 'Degraded' }),
    );
    expect(
      await screen.findByText(
        'game-0: CrashLoopBackOff (exit code 1, 5 restarts)',
      ),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Degraded').length).toBeGreaterThan(0);
  });

  it('while an operation runs, loads again now and then in case a signal was lost, and stops once it is done', async () => {
    const { api, signals } = setup();
    const running = operation('op-start', { type: 'start', status: 'running' });
    api.environments.set(
      'feature-login',
      environment('feature-login', { lastOperation: running } as any),
    );
    await renderEnvironments('/environments/feature-login', { api, signals });
    await screen.findByRole('button', { name: 'Stop game' });
    const loads = api.callsOf('getEnvironment').length;
    // No signal comes (the socket was reconnecting): the view loads again by itself.
    api.environments.set(
      'feature-login',
      environment('feature-login', {
        lastOperation: { ...running, status: 'succeeded' },
      } as any),
    );
    await waitFor(
      () => expect(api.callsOf('getEnvironment').length).toBeGreaterThan(loads),
      { timeout: IN_FLIGHT_RELOAD_MS + 2000 },
    );
    // Done: nothing more is loaded without a signal.
    const settled = api.callsOf('getEnvironment').length;
    await new Promise(r => setTimeout(r, IN_FLIGHT_RELOAD_MS + 500));
    expect(api.callsOf('getEnvironment')).toHaveLength(settled);
  }, 20_000);

  it('disables what the policy refuses, and says why', async () => {
    // An environment of its own: permission answers are cached per resource.
    const api = new FakeEnvironmentsApi([environment('feature-denied')]);
    const signals = new FakeSignalApi();
    await renderEnvironments('/environments/feature-denied', {
      api,
      signals,
      allow: p => p === 'environments.environment.read',
    });
    const deploy = await screen.findByRole('button', { name: 'Deploy' });
    await waitFor(() => expect(deploy).toBeDisabled());
    const reasons = screen.getAllByTestId('disabled-reason');
    expect(reasons[0]).toHaveAttribute(
      'aria-label',
      'You may not change this environment: the permission policy refuses environments.environment.update. Its owner is group:default/backend.',
    );
    expect(screen.getByRole('button', { name: 'Destroy' })).toBeDisabled();
    expect(
      screen
        .getAllByTestId('disabled-reason')
        .some(r =>
          r
            .getAttribute('aria-label')
            ?.includes('You may not destroy this environment'),
        ),
    ).toBe(true);
    expect(screen.getByRole('button', { name: 'Stop game' })).toBeDisabled();
    expect(api.callsOf('requestOperation')).toEqual([]);
  });

  it('deploys only valid versions, and shows the field the backend refuses', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Deploy' }),
    );

    const gameVersion = screen.getByLabelText('New version of game');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(screen.getByRole('alert')).toHaveTextContent(
      'Give at least one new version.',
    );

    await userEvent.type(gameVersion, 'bad version!');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(
      await screen.findByText(/must be letters, digits/),
    ).toBeInTheDocument();
    expect(api.callsOf('requestOperation')).toEqual([]);

    const refusal = await responseError(400, {
      error: {
        name: 'InputError',
        message:
          'Invalid operation: services[0].version: no image 20990101 for game',
      },
      request: { method: 'POST', url: '/' },
      response: { statusCode: 400 },
      errors: [
        { path: 'services[0].version', message: 'no image 20990101 for game' },
      ],
    });
    api.nextOperation = () => {
      throw refusal;
    };
    await userEvent.clear(gameVersion);
    await userEvent.type(gameVersion, '20990101');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    expect(
      await screen.findByText('no image 20990101 for game'),
    ).toBeInTheDocument();
    expect(api.callsOf('requestOperation')).toEqual([
      [
        'feature-login',
        { type: 'deploy', services: [{ name: 'game', version: '20990101' }] },
      ],
    ]);

    api.nextOperation = body =>
      operation('op-deploy', { ...(body as any), status: 'pending' });
    await userEvent.clear(gameVersion);
    await userEvent.type(gameVersion, '20211101');
    await userEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() =>
      expect(screen.queryByLabelText('New version of game')).toBeNull(),
    );
    expect(api.callsOf('requestOperation').at(-1)).toEqual([
      'feature-login',
      { type: 'deploy', services: [{ name: 'game', version: '20211101' }] },
    ]);
  });

  it('destroys only once the name is typed', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Destroy' }),
    );
    const dialog = screen.getByRole('dialog');
    const confirm = within(dialog).getByRole('button', { name: 'Destroy' });
    expect(confirm).toBeDisabled();
    const field = within(dialog).getByLabelText(
      'Type feature-login to confirm',
    );
    await userEvent.type(field, 'feature-logi');
    expect(confirm).toBeDisabled();
    expect(
      within(dialog).getByText('does not match the environment name'),
    ).toBeInTheDocument();
    await userEvent.type(field, 'n');
    expect(confirm).toBeEnabled();
    await userEvent.click(confirm);
    expect(api.callsOf('destroyEnvironment')).toEqual([['feature-login']]);
  });

  it('says what becomes of environments that use it as their base', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Destroy' }),
    );
    const dialog = screen.getByRole('dialog');
    await userEvent.type(
      within(dialog).getByLabelText('Type feature-login to confirm'),
      'feature-login',
    );
    await userEvent.click(
      within(dialog).getByLabelText('Environments that use it as their base'),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'Destroy them too' }),
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Destroy' }),
    );
    expect(api.callsOf('destroyEnvironment')).toEqual([
      ['feature-login', 'destroy'],
    ]);
  });

  it('extends the lifetime by a chosen or typed duration, refusing a bad one', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Extend' }),
    );
    const dialog = screen.getByRole('dialog');
    await userEvent.click(within(dialog).getByLabelText('Other duration'));
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: 'Extend by' }),
      '3 days',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );
    expect(
      await within(dialog).findByText(/must be a duration such as/),
    ).toBeInTheDocument();
    expect(api.callsOf('requestOperation')).toEqual([]);

    await userEvent.click(within(dialog).getByLabelText('1w'));
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );
    expect(api.callsOf('requestOperation')).toEqual([
      ['feature-login', { type: 'extend', ttl: '1w' }],
    ]);
  });

  it("opens Extend from the expiry warning's link, so one click extends", async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login?action=extend', {
      api,
      signals,
    });
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Extend');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Extend' }),
    );
    expect(api.callsOf('requestOperation')).toEqual([
      ['feature-login', { type: 'extend', ttl: '1d' }],
    ]);
  });

  it('does not open Extend from the link for someone who may not change it', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-nolink')]);
    await renderEnvironments('/environments/feature-nolink?action=extend', {
      api,
      signals: new FakeSignalApi(),
      allow: p => p === 'environments.environment.read',
    });
    const deploy = await screen.findByRole('button', { name: 'Deploy' });
    await waitFor(() => expect(deploy).toBeDisabled());
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says on every tab when the cluster is unreachable, and since when', async () => {
    const { api, signals } = setup();
    api.environments.set(
      'feature-login',
      environment('feature-login', {
        clusterUnreachable: {
          since: new Date(Date.now() - 3 * 60_000).toISOString(),
          error: 'dial tcp 10.0.0.9:6443: connect: connection refused',
        },
      }),
    );
    await renderEnvironments('/environments/feature-login', { api, signals });
    expect(
      await screen.findByText(
        'Warning: Cluster local is unreachable since 3 min. ago',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'What you see is the status last observed; operations wait until the cluster answers.',
      ),
    ).toBeVisible();
    expect(
      screen.getByText('dial tcp 10.0.0.9:6443: connect: connection refused'),
    ).toBeInTheDocument();

    await userEvent.click(screen.getByRole('tab', { name: 'Events' }));
    await waitFor(() =>
      expect(api.callsOf('getEvents')).toContainEqual(['feature-login']),
    );
    expect(
      screen.getByText(
        'Warning: Cluster local is unreachable since 3 min. ago',
      ),
    ).toBeInTheDocument();
  });

  it('shows no cluster warning while the cluster answers', async () => {
    const { api, signals } = setup();
    await renderEnvironments('/environments/feature-login', { api, signals });
    await screen.findByTestId('topology-node-game');
    expect(screen.queryByText(/is unreachable/)).not.toBeInTheDocument();
  });

  it('says so when there is no such environment', async () => {
    const api = new FakeEnvironmentsApi([]);
    const missing = await responseError(404, {
      error: { name: 'NotFoundError', message: 'No environment named "nope"' },
    });
    api.getEnvironment = async () => {
      throw missing;
    };
    await renderEnvironments('/environments/nope', { api });
    expect(
      await screen.findByText(/There is no environment named "nope"/),
    ).toBeInTheDocument();
  });
});
