import { destroyEnvironmentAction } from './destroyEnvironment';
import { context, deps, fakeClient, refusal } from '../__testUtils__/fakes';

const input = { name: 'feature-login', wait: true, timeoutMinutes: 15 };

describe('environments:destroy', () => {
  it('destroys and waits until nothing remains', async () => {
    const client = fakeClient();
    const { ctx, log, outputs } = context(input);
    await destroyEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.destroyEnvironment).toHaveBeenCalledWith('feature-login', {
      token: expect.stringContaining('user:default/mock'),
    });
    expect(log).toContain(
      'Environment "feature-login" is destroyed; nothing of it remains',
    );
    expect(outputs).toEqual({ operationId: 'op-3', status: 'Destroyed' });
  });

  it('says what would go in a dry run, and destroys nothing', async () => {
    const client = fakeClient();
    const { ctx, log, outputs } = context(input, { isDryRun: true });
    await destroyEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.destroyEnvironment).not.toHaveBeenCalled();
    expect(log).toContain(
      'would destroy feature-login: namespace env-feature-login with game',
    );
    expect(outputs.status).toBe('DryRun');
  });

  it('does not destroy twice when the task is retried', async () => {
    const client = fakeClient();
    const action = destroyEnvironmentAction(deps(client));
    const first = context(input);
    await action.handler(first.ctx as any);
    await action.handler(
      context(input, { checkpoints: first.checkpoints }).ctx as any,
    );
    expect(client.destroyEnvironment).toHaveBeenCalledTimes(1);
  });

  it('says when the environment does not exist', async () => {
    const client = fakeClient();
    client.getEnvironment.mockRejectedValueOnce(
      await refusal(404, {
        error: {
          name: 'NotFoundError',
          message: 'No environment named "feature-login"',
        },
      }),
    );
    const { ctx } = context(input);
    await expect(
      destroyEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Destroying environment "feature-login" failed: No environment named "feature-login"',
    );
    expect(client.destroyEnvironment).not.toHaveBeenCalled();
  });

  it('reports a destroy that fails, for example on stuck finalizers', async () => {
    const client = fakeClient({ end: 'failed' });
    const { ctx } = context(input);
    await expect(
      destroyEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(/The destroy of environment "feature-login" failed/);
  });
});
