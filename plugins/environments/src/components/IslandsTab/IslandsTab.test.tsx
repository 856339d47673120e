import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { IslandView } from '@archipelago/plugin-environments-common';
import {
  FakeEnvironmentsApi,
  environment,
  service,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

const island = (
  id: number,
  overrides: Partial<IslandView> = {},
): IslandView => ({
  id,
  service: 'altraserver',
  desired: 'running',
  phase: 'Ready',
  pod: `altraserver-${id}-1`,
  node: 'kwok-node-0',
  hostIP: '198.51.100.10',
  ports: [
    { name: 'app-common-port', port: 7000 + 3 * id },
    { name: 'server-port', port: 7002 + 3 * id },
  ],
  connect: [
    { name: 'app-common-port', address: `198.51.100.10:${7000 + 3 * id}` },
    { name: 'server-port', address: `198.51.100.10:${7002 + 3 * id}` },
  ],
  clock: {
    effective: { offset: '+3d' },
    source: 'environment',
    description: 'real time +3d',
  },
  registered: true,
  restarts: 0,
  ...overrides,
});

function setup() {
  const api = new FakeEnvironmentsApi([
    environment('qa-one', {
      status: {
        phase: 'Degraded',
        reasons: [],
        observedAt: new Date().toISOString(),
        services: [service('altraserver', { kind: 'island' })],
      },
    }),
  ]);
  api.islands.set('qa-one', [
    island(1),
    island(2, {
      phase: 'Down',
      reason: 'exited with code 1: Error',
      exitCode: 1,
      registered: false,
    }),
  ]);
  api.ledger = {
    cluster: 'local',
    range: { from: 7000, to: 7015 },
    total: 16,
    used: 6,
    free: 10,
    nearlyExhausted: false,
    holders: [
      {
        island: 1,
        environment: 'qa-one',
        service: 'altraserver',
        ports: [7003, 7004, 7005],
        removed: false,
      },
    ],
  };
  return api;
}

describe('IslandsTab', () => {
  it('shows each island with its state and reason, connect addresses and fake clock, and the port ledger', async () => {
    const api = setup();
    await renderEnvironments('/environments/qa-one/islands', { api });
    const down = (await screen.findByTestId('island-2')).closest('tr')!;
    expect(
      within(down).getByText('Down: exited with code 1: Error'),
    ).toBeInTheDocument();
    const ready = screen.getByTestId('island-1').closest('tr')!;
    expect(within(ready).getByText('198.51.100.10:7005')).toBeInTheDocument();
    // The clock runs three days ahead of now.
    const shown = within(ready).getByTestId('island-1-time').textContent!;
    const ahead = Date.parse(`${shown.replace(' ', 'T')}Z`) - Date.now();
    expect(Math.abs(ahead - 3 * 86400_000)).toBeLessThan(60_000);
    expect(within(ready).getByRole('link', { name: 'Logs' })).toHaveAttribute(
      'href',
      '/environments/qa-one/logs?pod=altraserver-1-1',
    );
    expect(
      screen.getByText('6 used, 10 free in 7000–7015'),
    ).toBeInTheDocument();
  });

  it('adds islands, restarts one and sets its clock through operations', async () => {
    const api = setup();
    await renderEnvironments('/environments/qa-one/islands', { api });
    await screen.findByTestId('island-1');
    fireEvent.change(screen.getByLabelText('Islands'), {
      target: { value: '3' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add islands' }));
    await waitFor(() =>
      expect(api.callsOf('requestOperation')).toEqual([
        ['qa-one', { type: 'island-add', service: 'altraserver', count: 3 }],
      ]),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Restart island 2' }));
    await waitFor(() =>
      expect(api.callsOf('requestOperation').at(-1)).toEqual([
        'qa-one',
        { type: 'island-restart', island: 2 },
      ]),
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Set the clock of island 1' }),
    );
    fireEvent.click(await screen.findByLabelText('Start at a time, then run'));
    fireEvent.change(screen.getByLabelText('Start'), {
      target: { value: '2021-13-01 00:00:00' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set clock' }));
    // Refused in the browser with the schema's words, and nothing is sent.
    expect(
      await screen.findByText(/must be a time as|not a valid date/),
    ).toBeInTheDocument();
    expect(api.callsOf('requestOperation')).toHaveLength(2);
    fireEvent.change(screen.getByLabelText('Start'), {
      target: { value: '2021-09-18 23:30:07' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set clock' }));
    await waitFor(() =>
      expect(api.callsOf('requestOperation').at(-1)).toEqual([
        'qa-one',
        { type: 'clock', clock: { start: '2021-09-18 23:30:07' }, island: 1 },
      ]),
    );
  });
});
