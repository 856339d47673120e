import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  FakeEnvironmentsApi,
  environment,
  service,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

function setup() {
  return new FakeEnvironmentsApi([
    environment('gray', {
      status: {
        phase: 'Ready',
        reasons: [],
        observedAt: new Date().toISOString(),
        services: [
          service('global', {
            kind: 'http',
            version: '1.0.0000',
            versions: [
              {
                version: '1.0.0000',
                name: 'global-v1-0-0000',
                primary: true,
                weight: 90,
                desiredReplicas: 2,
                readyReplicas: 2,
                health: 'Ready',
                retiring: false,
              },
              {
                version: '1.0.0001',
                name: 'global-v1-0-0001',
                primary: false,
                weight: 10,
                header: '1.0.0001',
                desiredReplicas: 1,
                readyReplicas: 0,
                health: 'Progressing',
                retiring: false,
              },
              {
                version: '0.9',
                name: 'global-v0-9',
                primary: false,
                weight: 0,
                desiredReplicas: 1,
                readyReplicas: 1,
                health: 'Ready',
                retiring: true,
              },
            ],
          }),
          service('ticker', { kind: 'cron' }),
        ],
      },
    }),
  ]);
}

describe('releases in the Topology tab', () => {
  it("lists a service's versions with weight, header rule and ready counts, and only released ones have controls", async () => {
    await renderEnvironments('/environments/gray/topology', { api: setup() });
    const primary = await screen.findByTestId('version-global-1.0.0000');
    expect(primary).toHaveTextContent('primary · 90%');
    expect(primary).toHaveTextContent('2/2 ready');
    const released = screen.getByTestId('version-global-1.0.0001');
    expect(released).toHaveTextContent('10% · Version: 1.0.0001');
    expect(released).toHaveTextContent('0/1 ready');
    expect(screen.getByTestId('version-global-0.9')).toHaveTextContent(
      'leaving once the new version is ready',
    );
    expect(
      within(primary).queryByRole('button', { name: /Promote/ }),
    ).toBeNull();
    expect(
      within(screen.getByTestId('version-global-0.9')).queryByRole('button'),
    ).toBeNull();
    // cron services run one version: no Release for them.
    expect(
      screen.getByRole('button', { name: 'Release global' }),
    ).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Release ticker' })).toBeNull();
  });

  it('starts a release with the header following the version, refuses a bad weight in the browser, and promotes and aborts', async () => {
    const api = setup();
    await renderEnvironments('/environments/gray/topology', { api });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Release global' }),
    );
    fireEvent.change(screen.getByLabelText('New version'), {
      target: { value: '1.0.0002' },
    });
    expect(screen.getByLabelText('Version header')).toHaveValue('1.0.0002');
    fireEvent.change(screen.getByLabelText('Weight (%)'), {
      target: { value: '250' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Start release' }));
    expect(await screen.findByText('must be at most 100')).toBeInTheDocument();
    expect(api.callsOf('requestOperation')).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Weight (%)'), {
      target: { value: '5' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Start release' }));
    await waitFor(() =>
      expect(api.callsOf('requestOperation')).toEqual([
        [
          'gray',
          {
            type: 'release-start',
            service: 'global',
            version: '1.0.0002',
            header: '1.0.0002',
            weight: 5,
          },
        ],
      ]),
    );
    // Promote and Abort ask first: Cancel sends nothing.
    fireEvent.click(
      screen.getByRole('button', { name: 'Promote global 1.0.0001' }),
    );
    expect(
      await screen.findByText('Promote global 1.0.0001?'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(api.callsOf('requestOperation')).toHaveLength(1);
    fireEvent.click(
      screen.getByRole('button', { name: 'Promote global 1.0.0001' }),
    );
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Promote',
      }),
    );
    await waitFor(() =>
      expect(api.callsOf('requestOperation')).toHaveLength(2),
    );
    fireEvent.click(
      screen.getByRole('button', { name: 'Abort global 1.0.0001' }),
    );
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Abort',
      }),
    );
    await waitFor(() =>
      expect(api.callsOf('requestOperation').slice(1)).toEqual([
        [
          'gray',
          { type: 'release-promote', service: 'global', version: '1.0.0001' },
        ],
        [
          'gray',
          { type: 'release-abort', service: 'global', version: '1.0.0001' },
        ],
      ]),
    );
  });

  it('changes a weight from the current one', async () => {
    const api = setup();
    await renderEnvironments('/environments/gray/topology', { api });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Weight global 1.0.0001' }),
    );
    expect(screen.getByLabelText('Weight (%)')).toHaveValue(10);
    fireEvent.change(screen.getByLabelText('Weight (%)'), {
      target: { value: '60' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set weight' }));
    await waitFor(() =>
      expect(api.callsOf('requestOperation')).toEqual([
        [
          'gray',
          {
            type: 'release-weight',
            service: 'global',
            version: '1.0.0001',
            weight: 60,
          },
        ],
      ]),
    );
  });
});
