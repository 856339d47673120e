import { releaseEnvironmentAction } from './releaseEnvironment';
import { examples } from './releaseEnvironment.examples';
import yaml from 'yaml';
import { operationRequestSchema } from '@archipelago/plugin-environments-common';
import { context, deps, environment, fakeClient } from '../__testUtils__/fakes';

const toBody = (input: Record<string, any>) =>
  Object.fromEntries(
    Object.entries({
      type: `release-${input.action}`,
      service: input.service,
      version: input.version,
      image: input.image,
      header: input.header,
      weight: input.weight,
      replicas: input.replicas,
    }).filter(([, v]) => v !== undefined),
  );

describe('environments:release', () => {
  it('starts a release with a header and a weight, and waits for it', async () => {
    const client = fakeClient({ env: environment() });
    const { ctx, outputs } = context({
      name: 'feature-login',
      action: 'start',
      service: 'global',
      version: '1.0.0001',
      header: '1.0.0001',
      weight: 10,
    });
    await releaseEnvironmentAction(deps(client)).handler(ctx as any);
    expect(client.requestOperation).toHaveBeenCalledWith(
      'feature-login',
      {
        type: 'release-start',
        service: 'global',
        version: '1.0.0001',
        header: '1.0.0001',
        weight: 10,
      },
      { token: expect.any(String) },
    );
    expect(outputs).toMatchObject({ operationId: 'op-2' });
  });

  it('changes the weight, promotes and aborts, sending only what each step takes', async () => {
    const client = fakeClient({ env: environment() });
    const action = releaseEnvironmentAction(deps(client));
    for (const input of [
      { action: 'weight', weight: 50 },
      { action: 'promote', weight: 50 },
      { action: 'abort', header: 'x' },
    ])
      await action.handler(
        context({
          name: 'feature-login',
          service: 'global',
          version: '1.0.0001',
          wait: false,
          ...input,
        }).ctx as any,
      );
    expect(client.requestOperation.mock.calls.map(c => c[1])).toEqual([
      {
        type: 'release-weight',
        service: 'global',
        version: '1.0.0001',
        weight: 50,
      },
      { type: 'release-promote', service: 'global', version: '1.0.0001' },
      { type: 'release-abort', service: 'global', version: '1.0.0001' },
    ]);
  });

  it('refuses bad inputs by name before sending anything', async () => {
    const client = fakeClient({ env: environment() });
    const action = releaseEnvironmentAction(deps(client));
    await expect(
      action.handler(
        context({
          name: 'feature-login',
          action: 'weight',
          service: 'global',
          version: '1.0.0001',
          weight: 150,
        }).ctx as any,
      ),
    ).rejects.toThrow(/weight: /);
    await expect(
      action.handler(
        context({ name: 'feature-login', action: 'start', service: 'global' })
          .ctx as any,
      ),
    ).rejects.toThrow(/version: /);
    // A dry run checks the service can run several versions.
    await expect(
      action.handler(
        context(
          {
            name: 'feature-login',
            action: 'start',
            service: 'nothing',
            version: '2',
          },
          { isDryRun: true },
        ).ctx as any,
      ),
    ).rejects.toThrow(/runs no http, socket or backend service named nothing/);
    expect(client.requestOperation).not.toHaveBeenCalled();
  });

  it('has examples whose inputs make valid operations', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const e of examples) {
      const { input } = yaml.parse(e.example).steps[0];
      expect(operationRequestSchema.safeParse(toBody(input)).success).toBe(
        true,
      );
    }
  });
});
