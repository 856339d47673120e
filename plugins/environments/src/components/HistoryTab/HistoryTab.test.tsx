import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  FakeEnvironmentsApi,
  environment,
  operation,
} from '../../__testUtils__/fakes';
import { renderEnvironments } from '../../__testUtils__/render';

function setup() {
  const env = environment('feature-login', { revision: 2 });
  const api = new FakeEnvironmentsApi([env]);
  const spec1 = {
    ...env.spec,
    services: [{ name: 'game', version: '20211001' }],
  };
  const spec2 = {
    ...env.spec,
    services: [{ name: 'game', version: '20211101' }],
  };
  api.revisions.set('feature-login', [
    {
      environment: 'feature-login',
      revision: 1,
      spec: spec1,
      reason: 'create',
      createdBy: 'user:default/guest',
      createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    },
    {
      environment: 'feature-login',
      revision: 2,
      spec: spec2,
      reason: 'deploy game@20211101',
      createdBy: 'user:default/guest',
      createdAt: new Date(Date.now() - 60_000).toISOString(),
    },
  ]);
  api.operations.set('feature-login', [
    operation('op2', {
      type: 'deploy',
      status: 'failed',
      revision: 2,
      error: 'Not ready: game (CrashLoopBackOff)',
      steps: [
        { name: 'apply', status: 'succeeded', message: 'applied 6 objects' },
        { name: 'wait', status: 'failed', message: 'Not ready' },
      ],
    }),
    operation('op1', { type: 'create', revision: 1 }),
  ]);
  return api;
}

describe('HistoryTab', () => {
  it('lists operations with their steps and errors', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/history', { api });
    const failed = (
      await screen.findByText('Not ready: game (CrashLoopBackOff)')
    ).closest('tr')!;
    expect(within(failed).getByText('Deploy')).toBeInTheDocument();
    expect(within(failed).getByText('Failed')).toBeInTheDocument();
    expect(within(failed).getByText('#2')).toBeInTheDocument();
    await userEvent.click(within(failed).getAllByRole('button')[0]);
    expect(await screen.findByText('applied 6 objects')).toBeInTheDocument();
  });

  it('shows what changed between two revisions, from a link', async () => {
    const api = setup();
    await renderEnvironments(
      '/environments/feature-login/history?from=1&to=2',
      {
        api,
      },
    );
    const diff = await screen.findByTestId('revision-diff');
    expect(diff).toHaveTextContent('Changes from revision 1 to revision 2');
    expect(within(diff).getByText('- version: "20211001"')).toBeInTheDocument();
    expect(within(diff).getByText('+ version: "20211101"')).toBeInTheDocument();
  });

  it('rolls back to an earlier revision after showing the change', async () => {
    const api = setup();
    await renderEnvironments('/environments/feature-login/history', { api });
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Roll back to this revision #1',
      }),
    );
    const dialog = screen.getByRole('dialog');
    expect(within(dialog).getByTestId('revision-diff')).toHaveTextContent(
      'Changes from revision 2 to revision 1',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Roll back' }),
    );
    await waitFor(() =>
      expect(api.callsOf('requestOperation')).toEqual([
        ['feature-login', { type: 'rollback', revision: 1 }],
      ]),
    );
    // The current revision offers no roll back.
    expect(
      screen.queryByRole('button', { name: 'Roll back to this revision #2' }),
    ).toBeNull();
  });
});
