import { createEnvironmentAction } from './createEnvironment';
import { context, deps, fakeClient, refusal } from '../__testUtils__/fakes';

const input = {
  name: 'feature-login',
  purpose: 'feature' as const,
  base: 'integration',
  services: [{ name: 'game', version: '20210501' }],
  wait: true,
  timeoutMinutes: 15,
};

describe('environments:create', () => {
  it('creates on behalf of the user, follows the operation into the log, and outputs addresses', async () => {
    const client = fakeClient();
    const action = createEnvironmentAction(deps(client));
    const { ctx, log, outputs } = context(input);
    await action.handler(ctx as any);

    expect(client.createEnvironment).toHaveBeenCalledTimes(1);
    const [spec, options] = client.createEnvironment.mock.calls[0] as any[];
    // The user running the template owns it unless told otherwise, and the backend is called
    // with a token on that user's behalf.
    expect(spec).toMatchObject({
      name: 'feature-login',
      owner: 'user:default/mock',
      base: 'integration',
    });
    expect(spec).not.toHaveProperty('wait');
    expect(options.token).toContain('user:default/mock');
    expect(log).toEqual(
      expect.arrayContaining([
        'create render: succeeded',
        'create apply: running',
        'create apply: succeeded',
        expect.stringMatching(/^environment feature-login is Ready: game 1\/1/),
      ]),
    );
    expect(outputs).toEqual({
      name: 'feature-login',
      namespace: 'env-feature-login',
      url: 'http://portal.example/environments/feature-login',
      operationId: 'op-1',
      status: 'Ready',
      services: [
        {
          name: 'game',
          version: '20210422',
          address: 'game.env-feature-login.svc.cluster.local',
          answeredBy: 'feature-login',
          ready: '1/1',
        },
      ],
    });
  });

  it('names the environment after its branch when it has no name, as the API does', async () => {
    const client = fakeClient();
    const { name: _name, ...unnamed } = input;
    const { ctx, outputs } = context({
      ...unnamed,
      branch: 'Feature/Login_v2',
    });
    await createEnvironmentAction(deps(client)).handler(ctx as any);
    const [spec] = client.createEnvironment.mock.calls[0] as any[];
    expect(spec).toMatchObject({
      name: 'feature-login-v2',
      branch: 'Feature/Login_v2',
    });
    expect(outputs.url).toBe(
      'http://portal.example/environments/feature-login-v2',
    );
  });

  it('renders and checks capacity in a dry run, and creates nothing', async () => {
    const client = fakeClient();
    const { ctx, log, outputs } = context(input, { isDryRun: true });
    await createEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.dryRunCreate).toHaveBeenCalledTimes(1);
    expect(client.createEnvironment).not.toHaveBeenCalled();
    expect(log).toEqual(
      expect.arrayContaining([
        'would create Namespace env-feature-login',
        'would create StatefulSet game',
      ]),
    );
    expect(outputs.status).toBe('DryRun');
    expect(outputs.namespace).toBe('env-feature-login');
  });

  it('does not create twice when the task is retried', async () => {
    const client = fakeClient();
    const action = createEnvironmentAction(deps(client));
    const first = context(input);
    await action.handler(first.ctx as any);
    const retry = context(input, { checkpoints: first.checkpoints });
    await action.handler(retry.ctx as any);
    expect(client.createEnvironment).toHaveBeenCalledTimes(1);
    expect(retry.outputs.operationId).toBe('op-1');
  });

  it('names every invalid field before calling the backend', async () => {
    const client = fakeClient();
    const { ctx } = context({
      ...input,
      name: 'Feature/Login',
      services: [{ name: 'game', version: 'v 2', replicas: 500 }],
    });
    const error = await createEnvironmentAction(deps(client))
      .handler(ctx as any)
      .catch(e => e);
    expect(error.message).toMatch(/^The environment spec is invalid/);
    expect(error.message).toMatch(/- name: /);
    expect(error.message).toMatch(/- services\[0\]\.version: /);
    expect(error.message).toMatch(/- services\[0\]\.replicas: /);
    expect(client.dryRunCreate).not.toHaveBeenCalled();
  });

  it('says the name is taken', async () => {
    const client = fakeClient();
    client.dryRunCreate.mockRejectedValueOnce(
      await refusal(409, {
        error: {
          name: 'ConflictError',
          message: 'An environment named "feature-login" already exists',
        },
      }),
    );
    const { ctx } = context(input);
    await expect(
      createEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Creating environment "feature-login" failed: An environment named "feature-login" already exists',
    );
    expect(client.createEnvironment).not.toHaveBeenCalled();
  });

  it("passes on the backend's field errors: a version with no default, a missing base", async () => {
    const client = fakeClient();
    client.dryRunCreate.mockRejectedValueOnce(
      await refusal(400, {
        error: { name: 'InputError', message: 'Invalid environment spec' },
        errors: [
          {
            path: 'services[0].version',
            message:
              'is required: component:default/game has no defaultVersion',
          },
          {
            path: 'base',
            message: 'there is no environment named "integration"',
          },
        ],
      }),
    );
    const { ctx } = context(input);
    const error = await createEnvironmentAction(deps(client))
      .handler(ctx as any)
      .catch(e => e);
    expect(error.message).toBe(
      'Creating environment "feature-login" was refused; fix these inputs:\n' +
        '  - services[0].version: is required: component:default/game has no defaultVersion\n' +
        '  - base: there is no environment named "integration"',
    );
  });

  it('refuses when the capacity is short, leaving nothing behind', async () => {
    const client = fakeClient({ fits: false });
    const { ctx } = context(input);
    await expect(
      createEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Environment "feature-login" does not fit on the cluster: cpu: needs 64, 3.5 free',
    );
    expect(client.createEnvironment).not.toHaveBeenCalled();
  });

  it('says when the user may not create environments', async () => {
    const client = fakeClient();
    client.dryRunCreate.mockRejectedValueOnce(
      await refusal(403, {
        error: {
          name: 'NotAllowedError',
          message: 'You may not create environments (environment.create)',
        },
      }),
    );
    const { ctx } = context(input);
    await expect(
      createEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'Creating environment "feature-login" is not allowed: You may not create environments (environment.create)',
    );
  });

  it('reports the failed step and its reason when the operation fails', async () => {
    const client = fakeClient({ end: 'failed' });
    const { ctx } = context(input);
    await expect(
      createEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      'The create of environment "feature-login" failed at step apply: Not enough capacity on cluster "local": cpu short by 4',
    );
  });

  it('gives up waiting after the timeout and says the environment keeps going', async () => {
    const client = fakeClient({ end: 'never' });
    const { ctx } = context({ ...input, timeoutMinutes: 0.0005 });
    await expect(
      createEnvironmentAction(deps(client)).handler(ctx as any),
    ).rejects.toThrow(
      /did not finish its create in 0\.0005 minutes \(operation running\)\. It keeps going/,
    );
  });

  it('returns at once without waiting when asked', async () => {
    const client = fakeClient();
    const { ctx, outputs } = context({ ...input, wait: false });
    await createEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.getOperation).not.toHaveBeenCalled();
    expect(outputs.status).toBe('Creating');
  });

  it('takes services as template forms give them: component refs, empty versions, a release bundle', async () => {
    const client = fakeClient();
    const { ctx } = context({
      ...input,
      services: [
        { component: 'component:default/game', version: '' },
        { component: 'component:default/global' },
        { name: 'matching', version: '1.0.0' },
      ],
      release: [{ component: 'Component:default/global', version: '2.3.0' }],
    });
    await createEnvironmentAction(deps(client)).handler(ctx as any);
    const [spec] = client.createEnvironment.mock.calls[0] as any[];
    expect(spec.services).toEqual([
      { component: 'component:default/game', name: 'game' },
      {
        component: 'component:default/global',
        name: 'global',
        version: '2.3.0',
      },
      { name: 'matching', version: '1.0.0' },
    ]);
    expect(spec).not.toHaveProperty('release');
  });

  it('waits, as a feature environment, when the template leaves wait, timeout and purpose out', async () => {
    const client = fakeClient();
    const { ctx, outputs } = context({
      name: 'feature-login',
      services: [{ name: 'game' }],
    });
    await createEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.getOperation).toHaveBeenCalled();
    expect(outputs.status).toBe('Ready');
    expect((client.createEnvironment.mock.calls[0] as any[])[0].purpose).toBe(
      'feature',
    );
  });
});
