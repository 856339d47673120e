import { controlEnvironmentAction } from './controlEnvironment';
import {
  context,
  deps,
  environment,
  fakeClient,
  refusal,
} from '../__testUtils__/fakes';

describe('environments:control', () => {
  it('stops every service and waits until the environment is Stopped', async () => {
    const client = fakeClient({
      env: environment({
        stopped: true,
        status: { ...environment().status, phase: 'Stopped' },
      }),
    });
    const { ctx, outputs } = context({
      name: 'feature-login',
      action: 'stop',
      wait: true,
      timeoutMinutes: 15,
    });
    await controlEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).toHaveBeenCalledWith(
      'feature-login',
      { type: 'stop' },
      { token: expect.any(String) },
    );
    expect(outputs).toMatchObject({ operationId: 'op-2', status: 'Stopped' });
  });

  it('restarts the named services only', async () => {
    const client = fakeClient();
    const { ctx, outputs } = context({
      name: 'feature-login',
      action: 'restart',
      services: ['game'],
      wait: true,
      timeoutMinutes: 15,
    });
    await controlEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).toHaveBeenCalledWith(
      'feature-login',
      { type: 'restart', services: ['game'] },
      { token: expect.any(String) },
    );
    expect(outputs.status).toBe('Ready');
  });

  it('checks the service names in a dry run and changes nothing', async () => {
    const client = fakeClient();
    const ok = context(
      { name: 'feature-login', action: 'restart', services: ['game'] },
      { isDryRun: true },
    );
    await controlEnvironmentAction(deps(client)).handler(ok.ctx as any);
    expect(ok.log).toContain('would restart game of feature-login');
    const bad = context(
      { name: 'feature-login', action: 'stop', services: ['shop'] },
      { isDryRun: true },
    );
    await expect(
      controlEnvironmentAction(deps(client)).handler(bad.ctx as any),
    ).rejects.toThrow(
      'Environment "feature-login" runs no service named shop (it runs game)',
    );
    expect(client.requestOperation).not.toHaveBeenCalled();
  });

  it('does not queue twice when the task is retried', async () => {
    const client = fakeClient();
    const action = controlEnvironmentAction(deps(client));
    const input = { name: 'feature-login', action: 'restart', wait: true };
    const first = context({ ...input, timeoutMinutes: 15 });
    await action.handler(first.ctx as any);
    await action.handler(
      context(
        { ...input, timeoutMinutes: 15 },
        { checkpoints: first.checkpoints },
      ).ctx as any,
    );
    expect(client.requestOperation).toHaveBeenCalledTimes(1);
  });

  it('says when the user may not control the environment', async () => {
    const client = fakeClient();
    client.requestOperation.mockRejectedValueOnce(
      await refusal(403, {
        error: {
          name: 'NotAllowedError',
          message:
            'You may not update environment "feature-login" (environment.update)',
        },
      }),
    );
    const { ctx } = context({
      name: 'feature-login',
      action: 'stop',
      wait: true,
      timeoutMinutes: 15,
    });
    await expect(
      controlEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Controlling environment "feature-login" is not allowed: You may not update environment "feature-login" (environment.update)',
    );
  });
});
