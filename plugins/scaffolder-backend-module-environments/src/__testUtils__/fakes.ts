/*
 * For the actions' unit tests: a fake environments client whose operations advance one step per
 * look, a context that records the task log and outputs, and a checkpoint store that behaves
 * like the scaffolder's (a retried task gets the stored value back).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ResponseError } from '@backstage/errors';
import type {
  Environment,
  Operation,
} from '@archipelago/plugin-environments-common';
import type { ActionDeps } from '../actions/helpers';

/** A refusal as the environments backend sends it (Backstage's error response body). */
export async function refusal(status: number, body: Record<string, unknown>) {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({ ...body, response: { statusCode: status } }),
      {
        status,
        statusText: String(status),
        headers: { 'content-type': 'application/json' },
      },
    ) as any,
  );
}

export function operation(over: Partial<Operation> = {}): Operation {
  return {
    id: 'op-1',
    environment: 'demo',
    type: 'create',
    status: 'pending',
    requestedBy: 'user:default/mock',
    params: {},
    revision: 1,
    steps: [],
    attempts: 0,
    createdAt: '2026-11-22T00:00:00Z',
    ...over,
  };
}

export function environment(over: Partial<Environment> = {}): Environment {
  return {
    name: 'demo',
    owner: 'group:default/backend',
    purpose: 'feature',
    cluster: 'local',
    namespace: 'env-demo',
    labels: {},
    revision: 1,
    spec: {
      name: 'demo',
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [{ name: 'game', version: '20210422' }],
    } as any,
    stopped: false,
    createdAt: '2026-11-22T00:00:00Z',
    updatedAt: '2026-11-22T00:00:00Z',
    createdBy: 'user:default/mock',
    status: {
      phase: 'Ready',
      reasons: [],
      services: [
        {
          name: 'game',
          kind: 'socket',
          version: '20210422',
          desiredReplicas: 1,
          readyReplicas: 1,
          pods: 1,
          health: 'Ready',
          reasons: [],
        },
      ],
      observedAt: '2026-11-22T00:00:00Z',
    },
    ...over,
  };
}

/**
 * A client whose operation goes pending, running (render, apply), then the given end, one
 * state per getOperation call.
 */
export function fakeClient(
  options: {
    end?: 'succeeded' | 'failed' | 'never';
    env?: Environment;
    fits?: boolean;
  } = {},
) {
  const end = options.end ?? 'succeeded';
  let looks = 0;
  const states: Array<Partial<Operation>> = [
    { status: 'pending', steps: [] },
    {
      status: 'running',
      steps: [
        { name: 'render', status: 'succeeded' },
        { name: 'apply', status: 'running' },
      ],
    },
    end === 'failed'
      ? {
          status: 'failed',
          error: 'Not enough capacity on cluster "local": cpu short by 4',
          steps: [
            { name: 'render', status: 'succeeded' },
            { name: 'apply', status: 'failed' },
          ],
        }
      : {
          status: 'succeeded',
          steps: [
            { name: 'render', status: 'succeeded' },
            { name: 'apply', status: 'succeeded' },
            { name: 'wait', status: 'succeeded' },
          ],
        },
  ];
  const env = options.env ?? environment();
  // Each operation keeps the type it was requested with.
  const types = new Map<string, Operation['type']>([
    ['op-1', 'create'],
    ['op-3', 'destroy'],
  ]);
  return {
    dryRunCreate: jest.fn(async (spec: any) => ({
      spec,
      namespace: `env-${spec.name}`,
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', name: `env-${spec.name}` },
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'game' },
      ],
      capacity:
        options.fits === false
          ? { fits: false, message: 'cpu: needs 64, 3.5 free' }
          : { fits: true, message: 'fits: cpu 0.25 of 60 free' },
    })),
    createEnvironment: jest.fn(async (spec: any) => ({
      environment: { ...env, name: spec.name, namespace: `env-${spec.name}` },
      operation: operation(),
    })),
    requestOperation: jest.fn(async (_name: string, body: any) => {
      types.set('op-2', body.type);
      return operation({ id: 'op-2', type: body.type, revision: 2 });
    }),
    destroyEnvironment: jest.fn(async () =>
      operation({ id: 'op-3', type: 'destroy' }),
    ),
    getOperation: jest.fn(async (_name: string, id: string) => {
      const state =
        end === 'never'
          ? states[Math.min(looks++, 1)]
          : states[Math.min(looks++, 2)];
      return operation({
        id,
        type: types.get(id),
        revision: id === 'op-2' ? 2 : 1,
        ...state,
      });
    }),
    getEnvironment: jest.fn(async (name: string) => ({
      ...env,
      name,
      namespace: `env-${name}`,
    })),
    resolve: jest.fn(async (name: string, service: string) => ({
      environment: name,
      service,
      answeredBy: name,
      chain: [name],
      address: `${service}.env-${name}.svc.cluster.local`,
      instances: [],
    })),
  };
}

export function deps(client: ReturnType<typeof fakeClient>): ActionDeps {
  return {
    client: client as any,
    auth: mockServices.auth(),
    appBaseUrl: 'http://portal.example',
    pollIntervalMs: 1,
  };
}

/** An action context with a task log to read, outputs to read, and a real checkpoint store. */
export function context<T extends Record<string, any>>(
  input: T,
  options: { isDryRun?: boolean; checkpoints?: Map<string, unknown> } = {},
) {
  const log: string[] = [];
  const outputs: Record<string, unknown> = {};
  const checkpoints = options.checkpoints ?? new Map<string, unknown>();
  const record = (m: string) => {
    log.push(m);
  };
  const ctx = createMockActionContext({
    input,
    isDryRun: options.isDryRun,
    logger: {
      info: record,
      warn: record,
      error: record,
      debug: () => undefined,
      child: () => ctx.logger,
    } as any,
    user: { ref: 'user:default/mock' },
  });
  ctx.isDryRun = options.isDryRun;
  ctx.output = jest.fn((name: string, value: unknown) => {
    outputs[name] = value;
  }) as any;
  ctx.checkpoint = (async ({ key, fn }: any) => {
    if (checkpoints.has(key)) return checkpoints.get(key);
    const value = await fn();
    checkpoints.set(key, value);
    return value;
  }) as any;
  return { ctx, log, outputs, checkpoints };
}
