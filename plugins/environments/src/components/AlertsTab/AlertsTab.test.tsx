import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ResponseError } from '@backstage/errors';
import {
  FakeEnvironmentsApi,
  alertsOf,
  environment,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

function setup(name = 'feature-login') {
  const api = new FakeEnvironmentsApi([environment(name)]);
  const view = alertsOf(name, {
    channels: {
      available: [
        { name: 'team-ding', type: 'dingtalk', default: true },
        { name: 'ops-slack', type: 'slack', default: false },
      ],
      selected: ['team-ding'],
      source: 'default',
    },
    watchers: ['user:default/ann'],
    open: [
      {
        rule: 'degraded',
        key: 'environment',
        title: 'Environment feature-login is Degraded',
        firedAt: '2026-12-07T10:00:00Z',
      },
    ],
    history: [
      {
        rule: 'degraded',
        key: 'environment',
        kind: 'firing',
        title: 'Environment feature-login is Degraded',
        details: ['game: 0/1 ready'],
        at: '2026-12-07T10:00:00Z',
      },
    ],
  });
  view.rules[0] = {
    ...view.rules[0],
    value: '10m',
    source: 'environment',
  };
  api.alerts.set(name, view);
  return api;
}

const ruleRow = (key: string) =>
  screen.getAllByText(key, { selector: 'code' })[0].closest('tr')!;

describe('AlertsTab', () => {
  it('shows the rules in effect with their source, the channels, open and recent alerts', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/alerts', { api });

    await screen.findByText('Rules in effect');
    const degraded = ruleRow('degradedFor');
    expect(within(degraded).getByText('10m')).toBeInTheDocument();
    expect(within(degraded).getByText('this environment')).toBeInTheDocument();
    expect(within(degraded).getByText('5m')).toBeInTheDocument();
    const crash = ruleRow('crashLoop');
    expect(within(crash).getByText('purpose default')).toBeInTheDocument();

    expect(
      screen.getByText(/team-ding \(\s*the configured defaults\s*\)/),
    ).toBeInTheDocument();
    expect(screen.getByTestId('alerts-open')).toHaveTextContent(
      'Environment feature-login is Degraded',
    );
    expect(screen.getByText('game: 0/1 ready')).toBeInTheDocument();
    expect(screen.getByText('Firing')).toBeInTheDocument();
    expect(screen.getByText(/and 1 watcher\(s\)/)).toBeInTheDocument();
    expect(api.callsOf('getAlerts')).toContainEqual(['feature-login']);
  });

  it('watches and unwatches for the signed-in user', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/alerts', { api });
    await userEvent.click(await screen.findByRole('button', { name: 'Watch' }));
    expect(
      await screen.findByRole('button', { name: 'Unwatch' }),
    ).toBeInTheDocument();
    expect(screen.getByText(/and 2 watcher\(s\)/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Unwatch' }));
    await screen.findByRole('button', { name: 'Watch' });
    expect(api.callsOf('setWatching')).toEqual([
      ['feature-login', true],
      ['feature-login', false],
    ]);
  });

  it('lets those who may update override rules and choose channels', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/alerts', { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Change rules and channels' }),
    );
    const crash = screen.getByRole('textbox', { name: 'crashLoop' });
    await userEvent.type(crash, 'off');
    // From the configured defaults to a choice of its own.
    await userEvent.click(
      screen.getByRole('checkbox', { name: 'the configured defaults' }),
    );
    await userEvent.click(
      screen.getByRole('checkbox', { name: 'ops-slack (slack)' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(api.callsOf('updateAlerts')).toEqual([
        [
          'feature-login',
          {
            rules: { degradedFor: '10m', crashLoop: 'off' },
            channels: ['team-ding', 'ops-slack'],
          },
        ],
      ]),
    );
    expect(
      await screen.findByText(
        /team-ding, ops-slack \(\s*chosen for this environment\s*\)/,
      ),
    ).toBeInTheDocument();
    expect(within(ruleRow('crashLoop')).getByText('off')).toBeInTheDocument();
  });

  it('shows the fields a refused change names', async () => {
    const api = setup();
    const response = new Response(
      JSON.stringify({
        error: { name: 'InputError', message: 'Invalid alert settings' },
        request: { method: 'PUT', url: '/environments/feature-login/alerts' },
        response: { statusCode: 400 },
        errors: [
          {
            path: 'rules.crashLoop',
            message:
              '"soon" must be a duration such as "30s", "5m" or "1h", or "off"',
          },
        ],
      }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    );
    api.alertsRefusal = await ResponseError.fromResponse(response as any);
    await renderEnvironments('/environments/feature-login/alerts', { api });
    await userEvent.click(
      await screen.findByRole('button', { name: 'Change rules and channels' }),
    );
    await userEvent.type(
      screen.getByRole('textbox', { name: 'crashLoop' }),
      'soon',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByTestId('alerts-problem')).toHaveTextContent(
      'rules.crashLoop: "soon" must be a duration',
    );
    // ...and at the field itself, which keeps what was typed.
    const field = screen.getByRole('textbox', { name: 'crashLoop' });
    expect(field).toHaveValue('soon');
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(
      screen.getByText(
        '"soon" must be a duration such as "30s", "5m" or "1h", or "off"',
      ),
    ).toBeInTheDocument();
  });

  it('offers no changes to those who may only read', async () => {
    // An environment of its own: permission answers are cached per resource.
    const api = setup('read-only');
    await renderEnvironments('/environments/read-only/alerts', {
      api,
      allow: p => p !== 'environments.environment.update',
    });
    await screen.findByText('Rules in effect');
    expect(
      screen.queryByRole('button', { name: 'Change rules and channels' }),
    ).not.toBeInTheDocument();
    // Watching needs only read.
    expect(screen.getByRole('button', { name: 'Watch' })).toBeInTheDocument();
  });
});
