import { islandsEnvironmentAction } from './islandsEnvironment';
import { examples } from './islandsEnvironment.examples';
import yaml from 'yaml';
import { operationRequestSchema } from '@archipelago/plugin-environments-common';
import { context, deps, environment, fakeClient } from '../__testUtils__/fakes';

const islandEnv = () =>
  environment({
    status: {
      ...environment().status,
      services: [
        {
          name: 'altraserver',
          kind: 'island',
          version: '1',
          desiredReplicas: 1,
          readyReplicas: 1,
          pods: 1,
          health: 'Ready',
          reasons: [],
        },
      ],
    },
  });

describe('environments:islands', () => {
  it('adds islands and waits for the operation', async () => {
    const client = fakeClient({ env: islandEnv() });
    const { ctx, outputs } = context({
      name: 'feature-login',
      action: 'add',
      service: 'altraserver',
      count: 3,
      wait: true,
      timeoutMinutes: 15,
    });
    await islandsEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).toHaveBeenCalledWith(
      'feature-login',
      { type: 'island-add', service: 'altraserver', count: 3 },
      { token: expect.any(String) },
    );
    expect(outputs).toMatchObject({
      operationId: 'op-2',
      islandsUrl: expect.stringMatching(
        /\/environments\/feature-login\/islands$/,
      ),
    });
  });

  it('restarts one island, and sets one island’s clock', async () => {
    const client = fakeClient({ env: islandEnv() });
    const action = islandsEnvironmentAction(deps(client));
    await action.handler(
      context({ name: 'feature-login', action: 'restart', island: 269 })
        .ctx as any,
    );
    await action.handler(
      context({
        name: 'feature-login',
        action: 'clock',
        island: 269,
        clock: { offset: '+3d' },
        wait: false,
      }).ctx as any,
    );
    expect(client.requestOperation.mock.calls.map(c => c[1])).toEqual([
      { type: 'island-restart', island: 269 },
      { type: 'clock', island: 269, clock: { offset: '+3d' } },
    ]);
  });

  it('refuses bad inputs by name before sending anything', async () => {
    const client = fakeClient({ env: islandEnv() });
    const action = islandsEnvironmentAction(deps(client));
    await expect(
      action.handler(
        context({
          name: 'feature-login',
          action: 'add',
          service: 'altraserver',
          count: 0,
        }).ctx as any,
      ),
    ).rejects.toThrow(/count: /);
    await expect(
      action.handler(
        context({
          name: 'feature-login',
          action: 'clock',
          clock: { start: 'soon' },
        }).ctx as any,
      ),
    ).rejects.toThrow(/clock\.start: must be a time/);
    await expect(
      action.handler(
        context({ name: 'feature-login', action: 'stop' }).ctx as any,
      ),
    ).rejects.toThrow(/island: /);
    // A dry run checks the service is an island service.
    await expect(
      action.handler(
        context(
          { name: 'feature-login', action: 'add', service: 'game', count: 1 },
          { isDryRun: true },
        ).ctx as any,
      ),
    ).rejects.toThrow(
      'runs no island service named game (its island services: altraserver)',
    );
    expect(client.requestOperation).not.toHaveBeenCalled();
  });

  it('has examples whose inputs make valid operations', () => {
    for (const e of examples) {
      const { input } = yaml.parse(e.example).steps[0];
      const bodies: Record<string, object> = {
        add: { type: 'island-add', service: input.service, count: input.count },
        clock: { type: 'clock', clock: input.clock, island: input.island },
      };
      const body = bodies[input.action] ?? {
        type: `island-${input.action}`,
        island: input.island,
      };
      expect(operationRequestSchema.safeParse(body).success).toBe(true);
    }
  });
});
