import { deployEnvironmentAction } from './deployEnvironment';
import { context, deps, fakeClient, refusal } from '../__testUtils__/fakes';

const input = {
  name: 'feature-login',
  services: [{ name: 'game', version: '20210501' }],
  wait: true,
  timeoutMinutes: 15,
};

describe('environments:deploy', () => {
  it('queues a deploy for the user and waits until the environment is Ready again', async () => {
    const client = fakeClient();
    const { ctx, log, outputs } = context(input);
    await deployEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).toHaveBeenCalledWith(
      'feature-login',
      { type: 'deploy', services: [{ name: 'game', version: '20210501' }] },
      { token: expect.stringContaining('user:default/mock') },
    );
    expect(log).toEqual(expect.arrayContaining(['deploy apply: succeeded']));
    expect(outputs).toEqual({
      url: 'http://portal.example/environments/feature-login',
      operationId: 'op-2',
      revision: 2,
      status: 'Ready',
    });
  });

  it('tells what would change in a dry run, and changes nothing', async () => {
    const client = fakeClient();
    const { ctx, log, outputs } = context(input, { isDryRun: true });
    await deployEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).not.toHaveBeenCalled();
    expect(log).toContain('would deploy game: 20210422 -> 20210501');
    expect(outputs).toMatchObject({ status: 'DryRun', revision: 2 });
  });

  it('does not deploy twice when the task is retried', async () => {
    const client = fakeClient();
    const action = deployEnvironmentAction(deps(client));
    const first = context(input);
    await action.handler(first.ctx as any);
    await action.handler(
      context(input, { checkpoints: first.checkpoints }).ctx as any,
    );
    expect(client.requestOperation).toHaveBeenCalledTimes(1);
  });

  it('names the bad field before calling the backend', async () => {
    const client = fakeClient();
    const { ctx } = context({ ...input, services: [{ name: 'game' }] });
    await expect(
      deployEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(/- services\[0\]: needs a version or an image/);
    expect(client.requestOperation).not.toHaveBeenCalled();
  });

  it('says which service the environment does not run', async () => {
    const client = fakeClient();
    client.requestOperation.mockRejectedValueOnce(
      await refusal(400, {
        error: { name: 'InputError', message: 'Invalid operation' },
        errors: [
          {
            path: 'services[0].name',
            message: '"game" is not a service of feature-login',
          },
        ],
      }),
    );
    const { ctx } = context(input);
    await expect(
      deployEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Deploying to environment "feature-login" was refused; fix these inputs:\n  - services[0].name: "game" is not a service of feature-login',
    );
  });

  it('says when the environment does not exist', async () => {
    const client = fakeClient();
    client.requestOperation.mockRejectedValueOnce(
      await refusal(404, {
        error: {
          name: 'NotFoundError',
          message: 'No environment named "feature-login"',
        },
      }),
    );
    const { ctx } = context(input);
    await expect(
      deployEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Deploying to environment "feature-login" failed: No environment named "feature-login"',
    );
  });

  it('reports a failed rollout with its reason', async () => {
    const client = fakeClient({ end: 'failed' });
    const { ctx } = context(input);
    await expect(
      deployEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      /The deploy of environment "feature-login" failed at step apply/,
    );
  });
});
