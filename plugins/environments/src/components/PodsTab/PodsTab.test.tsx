import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  FakeEnvironmentsApi,
  environment,
  pod,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

/** The table's pod rows (not its header or pagination). */
const podRows = () =>
  screen
    .getAllByRole('row')
    .filter(r => r.closest('tbody') && /svc-/.test(r.textContent ?? ''));

/** 200 pods over ten services, one of them crash-looping. */
function manyPods() {
  return Array.from({ length: 200 }, (_, i) => {
    const service = `svc-${String(i % 10).padStart(2, '0')}`;
    const name = `${service}-${i}`;
    return i === 137
      ? pod(name, service, {
          ready: false,
          restarts: 5,
          reason: 'CrashLoopBackOff (exit code 1, 5 restarts)',
          containers: [
            {
              name: service,
              ready: false,
              restarts: 5,
              state: 'waiting',
              reason: 'CrashLoopBackOff',
            },
          ],
        })
      : pod(name, service);
  });
}

describe('PodsTab', () => {
  it('shows an environment of 200 pods a page at a time, the unhealthy one first with its reason', async () => {
    const api = new FakeEnvironmentsApi([environment('big')]);
    api.pods.set('big', manyPods());
    await renderEnvironments('/environments/big/pods', { api });

    expect(await screen.findByText('Pods (200)')).toBeInTheDocument();
    expect(screen.getAllByText('1-50 of 200').length).toBeGreaterThan(0);
    // The first page of 50.
    const rows = [undefined, ...podRows()] as HTMLElement[];
    expect(rows).toHaveLength(51);
    expect(rows[1]).toHaveTextContent('svc-07-137');
    expect(rows[1]).toHaveTextContent(
      'CrashLoopBackOff (exit code 1, 5 restarts)',
    );
    expect(within(rows[2]).getByText('10.0.0.7')).toBeInTheDocument();
    expect(within(rows[2]).getByText('kwok-node-0')).toBeInTheDocument();
    expect(within(rows[2]).getByText('5m')).toBeInTheDocument();

    // Each pod links to its own log, for its container.
    expect(
      within(rows[1]).getByRole('link', { name: 'Logs svc-07-137' }),
    ).toHaveAttribute(
      'href',
      '/environments/big/logs?pod=svc-07-137&container=svc-07',
    );
  });

  it('shows one service when the link asks for it', async () => {
    const api = new FakeEnvironmentsApi([environment('big')]);
    api.pods.set('big', manyPods());
    await renderEnvironments('/environments/big/pods?service=svc-03', { api });
    expect(await screen.findByText('Pods (20)')).toBeInTheDocument();
    expect(podRows()).toHaveLength(20);
    expect(podRows().every(r => /svc-03/.test(r.textContent!))).toBe(true);

    await userEvent.click(
      screen.getByText('svc-03', { selector: '[aria-haspopup="listbox"]' }),
    );
    await userEvent.click(
      await screen.findByRole('option', { name: 'All services' }),
    );
    await waitFor(() =>
      expect(screen.getByText('Pods (200)')).toBeInTheDocument(),
    );
  });
});
