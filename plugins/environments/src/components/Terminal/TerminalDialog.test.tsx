import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  FakeEnvironmentsApi,
  environment,
  pod,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';
import { canReconnect, terminalUrl } from './terminalSocket';

// xterm.js needs a real browser (the Playwright test drives it); here it shows where it would
// connect.
jest.mock('./XTerm', () => ({
  XTerm: (props: { url: string; token?: string }) => (
    <div data-testid="xterm">
      {props.url} {props.token ? 'with token' : 'without token'}
    </div>
  ),
}));

function withPods(name = 'shell') {
  const api = new FakeEnvironmentsApi([environment(name)]);
  api.pods.set(name, [
    pod('game-0', 'game', {
      containers: [
        { name: 'game', ready: true, restarts: 0, state: 'running' },
        { name: 'sidecar', ready: true, restarts: 0, state: 'running' },
      ],
    }),
    pod('global-1', 'global', { phase: 'Pending', ready: false }),
  ]);
  return api;
}

describe('the terminal', () => {
  it('links running pods to a terminal, for those who may', async () => {
    await renderEnvironments('/environments/shell/pods', { api: withPods() });
    const link = await screen.findByRole('link', { name: 'Terminal game-0' });
    expect(link).toHaveAttribute(
      'href',
      '/environments/shell/pods?terminal=game-0&container=game',
    );
    // A pod that is not running has no shell to open.
    expect(
      screen.queryByRole('link', { name: 'Terminal global-1' }),
    ).not.toBeInTheDocument();
  });

  it('opens from a link, with a container picker, and connects to the pod the link names', async () => {
    await renderEnvironments(
      '/environments/shell/pods?terminal=game-0&container=sidecar',
      { api: withPods() },
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent('Terminal: game-0 / sidecar');
    expect(await within(dialog).findByTestId('xterm')).toHaveTextContent(
      /^ws:\/\/.*\/environments\/shell\/pods\/game-0\/terminal\?container=sidecar with token$/,
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('says which permission is missing, and shows no link, for those who may not', async () => {
    // Another environment: the permission answers are cached per environment.
    await renderEnvironments('/environments/closed/pods?terminal=game-0', {
      api: withPods('closed'),
      allow: p => p !== 'environments.environment.exec',
    });
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'You may not open a terminal in this environment (environments.environment.exec).',
    );
    expect(within(dialog).queryByTestId('xterm')).not.toBeInTheDocument();
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    expect(
      await screen.findByRole('link', { name: 'Logs game-0' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('link', { name: 'Terminal game-0' }),
    ).not.toBeInTheDocument();
  });

  it('builds the socket URL from the backend URL, and reconnects only when it may help', () => {
    expect(
      terminalUrl('https://portal.example/api/environments', 'a b', 'p/1', 'c'),
    ).toBe(
      'wss://portal.example/api/environments/environments/a%20b/pods/p%2F1/terminal?container=c',
    );
    expect(canReconnect(4408)).toBe(true);
    expect(canReconnect(4403)).toBe(false);
    expect(canReconnect(4404)).toBe(false);
  });
});
