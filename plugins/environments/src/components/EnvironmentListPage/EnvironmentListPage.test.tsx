import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  FakeEnvironmentsApi,
  FakeSignalApi,
  environment,
  operation,
  service,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

describe('EnvironmentListPage', () => {
  it('shows each environment with status, services, owner, base, cluster and time left', async () => {
    const login = environment('feature-login', { title: 'Feature login-v2' });
    login.spec = { ...login.spec, branch: 'feature/login-v2' };
    const api = new FakeEnvironmentsApi([
      login,
      environment('integration', {
        base: undefined,
        expiresAt: undefined,
        purpose: 'integration',
        status: {
          phase: 'Degraded',
          reasons: ['global: global-0: CrashLoopBackOff'],
          services: [service('global', { health: 'Degraded' })],
          observedAt: new Date().toISOString(),
        },
        lastOperation: operation('op1', { type: 'restart', status: 'running' }),
      }),
    ]);
    await renderEnvironments('/environments', { api });

    const row = (
      await screen.findByRole('link', { name: 'feature-login' })
    ).closest('tr')!;
    expect(within(row).getByText('Feature login-v2')).toBeInTheDocument();
    // The branch it runs (seed 001), and none for an environment without one.
    expect(within(row).getByTestId('branch-feature-login')).toHaveTextContent(
      'branch feature/login-v2',
    );
    expect(screen.queryByTestId('branch-integration')).toBeNull();
    expect(within(row).getByText('Ready')).toBeInTheDocument();
    expect(within(row).getByText('game 20211001')).toBeInTheDocument();
    expect(within(row).getByText('gateway 1.0.0')).toBeInTheDocument();
    expect(
      within(row).getByRole('link', { name: 'integration' }),
    ).toHaveAttribute('href', '/environments/integration');
    expect(within(row).getByText('local')).toBeInTheDocument();
    expect(within(row).getByText(/in 5 hr/)).toBeInTheDocument();
    expect(row).toHaveTextContent('backend');

    // The other link named integration (besides feature-login's base) is the environment.
    const integrationRow = screen
      .getAllByRole('link', { name: 'integration' })
      .map(l => l.closest('tr')!)
      .find(r => r !== row)!;
    expect(within(integrationRow).getByText('Degraded')).toBeInTheDocument();
    expect(
      within(integrationRow).getByText('Restart · Running'),
    ).toBeInTheDocument();
    expect(within(integrationRow).getByText('never')).toBeInTheDocument();

    // Without the scaffolder bound to it, "Create environment" leads to /create.
    expect(
      screen.getByText(/create environment/i).closest('a'),
    ).toHaveAttribute('href', '/create');
  });

  it('asks the backend for mine, my teams and the filters, and keeps them in the URL', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    await renderEnvironments('/environments?view=mine&phase=Degraded', { api });
    await waitFor(() =>
      expect(api.callsOf('listEnvironments').at(-1)?.[0]).toEqual({
        owner: ['user:default/guest'],
        phase: 'Degraded',
        purpose: undefined,
        q: undefined,
      }),
    );

    await userEvent.click(screen.getByRole('button', { name: 'My teams' }));
    await waitFor(() =>
      expect(api.callsOf('listEnvironments').at(-1)?.[0]).toMatchObject({
        owner: ['group:default/backend'],
      }),
    );

    await userEvent.click(screen.getByRole('button', { name: 'All' }));
    await userEvent.type(
      screen.getByRole('textbox', { name: /search by name/i }),
      'login',
    );
    await waitFor(() =>
      expect(api.callsOf('listEnvironments').at(-1)?.[0]).toEqual({
        owner: undefined,
        phase: 'Degraded',
        purpose: undefined,
        q: 'login',
      }),
    );
    // The whole word is asked once typing pauses, not letter by letter.
    expect(
      api.callsOf('listEnvironments').filter(([q]: any) => q.q === 'l'),
    ).toHaveLength(0);
  });

  it('shows the clusters: default, reachable, and since when one is not', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    api.clusters = [
      {
        name: 'local',
        default: true,
        reachable: true,
        synced: true,
        cachedObjects: 10,
        maxRequestsInFlight: 16,
        peakRequestsInFlight: 1,
      },
      {
        name: 'perf',
        reachable: false,
        unreachableSince: new Date(Date.now() - 5 * 60_000).toISOString(),
        lastError: 'connect ECONNREFUSED 10.0.0.9:6443',
        synced: true,
        cachedObjects: 0,
        maxRequestsInFlight: 16,
        peakRequestsInFlight: 0,
      },
    ];
    await renderEnvironments('/environments', { api });
    const clusters = await screen.findByRole('group', { name: 'Clusters' });
    const local = within(clusters).getByText('local · default');
    expect(local.closest('[title]')).toHaveAttribute('title', 'Reachable');
    const perf = within(clusters).getByText(
      'perf · unreachable since 5 min. ago',
    );
    expect(perf.closest('[title]')).toHaveAttribute(
      'title',
      'connect ECONNREFUSED 10.0.0.9:6443',
    );
    expect(api.callsOf('listClusters')).toHaveLength(1);
  });

  it('shows the list without clusters when they cannot be loaded', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    api.listClusters = async () => {
      throw new Error('clusters unavailable');
    };
    await renderEnvironments('/environments', { api });
    expect(
      await screen.findByRole('link', { name: 'feature-login' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('group', { name: 'Clusters' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByText(/clusters unavailable/)).not.toBeInTheDocument();
  });

  it('loads again when the backend signals a change, without polling', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    const signals = new FakeSignalApi();
    await renderEnvironments('/environments', { api, signals });
    await screen.findByRole('link', { name: 'feature-login' });
    const before = api.callsOf('listEnvironments').length;

    // Nothing happens while nothing changes.
    await new Promise(r => setTimeout(r, 400));
    expect(api.callsOf('listEnvironments')).toHaveLength(before);

    api.environments.set('feature-shop', environment('feature-shop'));
    act(() => {
      signals.fire('environments', { environment: 'feature-shop' });
      signals.fire('environments', { environment: 'feature-shop' });
    });
    expect(
      await screen.findByRole('link', { name: 'feature-shop' }),
    ).toBeInTheDocument();
    // Two signals in quick succession cause one load.
    expect(api.callsOf('listEnvironments')).toHaveLength(before + 1);
  });
});
