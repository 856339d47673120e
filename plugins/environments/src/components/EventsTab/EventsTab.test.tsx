import { screen, within } from '@testing-library/react';
import { FakeEnvironmentsApi, environment } from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

describe('EventsTab', () => {
  it('lists the namespace events', async () => {
    const api = new FakeEnvironmentsApi([environment('feature-login')]);
    api.events.set('feature-login', [
      {
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container game',
        object: { kind: 'Pod', name: 'game-0' },
        count: 5,
        lastTimestamp: new Date(Date.now() - 120_000).toISOString(),
      },
    ]);
    await renderEnvironments('/environments/feature-login/events', { api });
    const row = (await screen.findByText('BackOff')).closest('tr')!;
    expect(within(row).getByText('Warning')).toBeInTheDocument();
    expect(within(row).getByText('Pod/game-0')).toBeInTheDocument();
    expect(within(row).getByText('5')).toBeInTheDocument();
    expect(within(row).getByText(/2 min/)).toBeInTheDocument();
  });
});
