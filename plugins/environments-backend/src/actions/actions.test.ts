/*
 * What every action promises before it runs: it is registered under its name, its examples
 * are inputs its own schema accepts (and, for specs, inputs the REST API would accept), and
 * its hints say what it does. What the actions do is tested through the MCP endpoint against
 * the test cluster (integration/mcp.test.ts).
 */
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { z } from 'zod/v3';
import {
  operationRequestSchema,
  validateEnvironmentSpec,
  withNameFromBranch,
} from '@archipelago/plugin-environments-common';
import { registerEnvironmentActions } from '.';

function registered() {
  const registry = actionsRegistryServiceMock();
  registerEnvironmentActions(registry, {
    service: {} as any,
    access: {} as any,
    auditor: {} as any,
    appBaseUrl: 'http://portal.test',
  });
  return registry;
}

describe('the environment actions', () => {
  const registry = registered();
  const actions = [...registry.actions.values()];

  it('registers one action per lifecycle step', () => {
    expect(actions.map(a => a.name).sort()).toEqual(
      [
        'apply-environment',
        'control-services',
        'create-environment',
        'deploy-services',
        'destroy-environment',
        'extend-environment',
        'get-environment',
        'get-logs',
        'list-environments',
        'resolve-service',
        'wait-for-environment',
      ].sort(),
    );
  });

  it.each(actions.map(a => [a.name, a] as const))(
    '%s: has examples its own schema accepts, and a description',
    (_name, action) => {
      expect(action.description.length).toBeGreaterThan(60);
      expect(action.examples?.length).toBeGreaterThan(0);
      for (const example of action.examples ?? []) {
        const parsed = action.schema.input(z).safeParse(example.input);
        expect(parsed.error?.issues).toBeUndefined();
      }
    },
  );

  it("create-environment's and apply-environment's examples are specs the REST API accepts", () => {
    for (const name of ['create-environment', 'apply-environment']) {
      const action = actions.find(a => a.name === name)!;
      for (const example of action.examples!) {
        const result = validateEnvironmentSpec(
          withNameFromBranch(example.input),
        );
        expect(result.success ? [] : result.errors).toEqual([]);
      }
    }
  });

  it("deploy-services' and control-services' examples are operations the REST API accepts", () => {
    const deploy = actions.find(a => a.name === 'deploy-services')!;
    for (const { input } of deploy.examples!) {
      const { name: _name, ...body } = input as any;
      expect(
        operationRequestSchema.safeParse({ type: 'deploy', ...body }).success,
      ).toBe(true);
    }
    const control = actions.find(a => a.name === 'control-services')!;
    for (const { input } of control.examples!) {
      const { action, services } = input as any;
      expect(
        operationRequestSchema.safeParse({ type: action, services }).success,
      ).toBe(true);
    }
  });

  it('says honestly what each one does', async () => {
    const { actions: listed } = await registry.list();
    const hints = Object.fromEntries(listed.map(a => [a.name, a.attributes]));
    expect(hints).toEqual({
      'list-environments': {
        readOnly: true,
        idempotent: true,
        destructive: false,
      },
      'get-environment': {
        readOnly: true,
        idempotent: true,
        destructive: false,
      },
      'wait-for-environment': {
        readOnly: true,
        idempotent: true,
        destructive: false,
      },
      'get-logs': { readOnly: true, idempotent: true, destructive: false },
      'resolve-service': {
        readOnly: true,
        idempotent: true,
        destructive: false,
      },
      'create-environment': {
        readOnly: false,
        idempotent: false,
        destructive: false,
      },
      'apply-environment': {
        readOnly: false,
        idempotent: true,
        destructive: true,
      },
      'deploy-services': {
        readOnly: false,
        idempotent: false,
        destructive: false,
      },
      'control-services': {
        readOnly: false,
        idempotent: false,
        destructive: true,
      },
      'extend-environment': {
        readOnly: false,
        idempotent: false,
        destructive: false,
      },
      'destroy-environment': {
        readOnly: false,
        idempotent: false,
        destructive: true,
      },
    });
  });
});
