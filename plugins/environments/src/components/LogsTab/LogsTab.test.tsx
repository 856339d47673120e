import { screen, waitFor } from '@testing-library/react';
import {
  FakeEnvironmentsApi,
  environment,
  pod,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

function setup() {
  const api = new FakeEnvironmentsApi([environment('feature-login')]);
  api.pods.set('feature-login', [
    pod('game-0', 'game', {
      containers: [
        { name: 'game', ready: true, restarts: 0, state: 'running' },
        { name: 'side', ready: true, restarts: 0, state: 'running' },
      ],
    }),
  ]);
  api.logChunks = [
    '2026-11-23T10:00:00Z server tick ok players=1\n',
    '2026-11-23T10:00:01Z match queue size=2\n2026-11-23T10:00:02Z ',
    'cron heartbeat run=3\n',
  ];
  return api;
}

describe('LogsTab', () => {
  // The LogViewer draws only the lines that fit its box, which jsdom gives no size.
  const original = HTMLElement.prototype.getBoundingClientRect;
  beforeAll(() => {
    HTMLElement.prototype.getBoundingClientRect = () =>
      ({
        x: 0,
        y: 0,
        top: 0,
        left: 0,
        right: 1200,
        bottom: 600,
        width: 1200,
        height: 600,
      } as DOMRect);
  });
  afterAll(() => {
    HTMLElement.prototype.getBoundingClientRect = original;
  });

  it('opens a deep link to a pod, container and time span, and streams its lines', async () => {
    const api = setup();
    await renderEnvironments(
      '/environments/feature-login/logs?pod=game-0&container=side&since=10m',
      { api },
    );
    expect(await screen.findByText(/match queue size=2/)).toBeInTheDocument();
    expect(screen.getByText(/cron heartbeat run=3/)).toBeInTheDocument();
    expect(api.callsOf('streamLogs')).toEqual([
      [
        'feature-login',
        'game-0',
        {
          container: 'side',
          sinceSeconds: 600,
          sinceTime: undefined,
          tailLines: undefined,
          follow: true,
        },
      ],
    ]);
    expect(
      screen.getByText('Following: new lines appear as they are written.'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('log-state')).toHaveAttribute(
      'data-state',
      'streaming',
    );
  });

  it('reads without following from an instant, and says where the log ends', async () => {
    const api = setup();
    await renderEnvironments(
      '/environments/feature-login/logs?pod=game-0&sinceTime=2026-11-23T10:00:00.000Z&follow=0',
      { api },
    );
    await waitFor(() =>
      expect(screen.getByTestId('log-state')).toHaveAttribute(
        'data-state',
        'ended',
      ),
    );
    expect(screen.getByText('The log ends here.')).toBeInTheDocument();
    expect(api.callsOf('streamLogs')[0][2]).toEqual({
      container: 'game',
      sinceSeconds: undefined,
      sinceTime: '2026-11-23T10:00:00.000Z',
      tailLines: undefined,
      follow: false,
    });
  });

  it('names the bad parameter of a pasted link, and shows the default instead', async () => {
    const api = setup();
    await renderEnvironments(
      '/environments/feature-login/logs?pod=game-0&since=yesterday',
      { api },
    );
    expect(
      await screen.findByText(
        /since: "yesterday" is not a duration such as 10m, 2h or 1d/,
      ),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(api.callsOf('streamLogs')[0][2]).toMatchObject({
        sinceSeconds: 900,
      }),
    );
  });

  it('says when the pod is gone, and when the user may not read logs', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/logs?pod=game-9', {
      api,
    });
    expect(
      await screen.findByText(/There is no pod game-9 in this environment/),
    ).toBeInTheDocument();
    expect(api.callsOf('streamLogs')).toEqual([]);
  });

  it('streams nothing for a user the policy refuses logs', async () => {
    // An environment of its own: permission answers are cached per resource.
    const api = setup();
    api.environments.set('feature-nologs', environment('feature-nologs'));
    api.pods.set('feature-nologs', api.pods.get('feature-login')!);
    await renderEnvironments('/environments/feature-nologs/logs?pod=game-0', {
      api,
      allow: p => p !== 'environments.environment.logs.read',
    });
    expect(
      await screen.findByText(/You may not read the logs of this environment/),
    ).toBeInTheDocument();
    expect(api.callsOf('streamLogs')).toEqual([]);
  });
});
