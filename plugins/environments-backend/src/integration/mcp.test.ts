/*
 * An agent's way in (docs/agents.md): the environment actions through Backstage's MCP actions
 * server, as an MCP client sees them, against the local test cluster, with the real actions
 * registry, the real permission backend and the owner-only policy. The agent lists the tools,
 * creates an environment, waits for it, reads it, restarts it, tails a log, resolves a service,
 * is refused what a non-owner is refused, and destroys it; the cluster is read back.
 */
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import { mockCredentials } from '@backstage/backend-test-utils';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ENVIRONMENT_LABEL } from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';
import { ownerOnlyPermissions } from '../__testUtils__/permissions';

jest.setTimeout(300_000);

const TOOLS = [
  'list-environments',
  'get-environment',
  'create-environment',
  'apply-environment',
  'wait-for-environment',
  'deploy-services',
  'control-services',
  'extend-environment',
  'destroy-environment',
  'get-logs',
  'resolve-service',
];

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: any;
};

describe('the environment actions through the MCP endpoint', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { core } = testKube();
  const name = uniqueName('mcp');
  const clients: Client[] = [];
  let owner: Client;
  let other: Client;

  /** An MCP client, signed in as this user, on the backend's MCP endpoint. */
  const agent = async (user: string) => {
    const client = new Client({ name: 'test-agent', version: '1.0.0' });
    const address = ctx.backend.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await client.connect(
      new StreamableHTTPClientTransport(
        new URL(`http://127.0.0.1:${port}/api/mcp-actions/v1`),
        {
          requestInit: {
            headers: { Authorization: mockCredentials.user.header(user) },
          },
        },
      ),
    );
    clients.push(client);
    return client;
  };
  // The MCP server names each tool after its plugin: environments.<action>.
  const call = async (client: Client, tool: string, args: object) =>
    (await client.callTool({
      name: `environments.${tool}`,
      arguments: args as Record<string, unknown>,
    })) as ToolResult;
  const ok = async (client: Client, tool: string, args: object) => {
    const r = await call(client, tool, args);
    if (r.isError) throw new Error(`${tool}: ${r.content[0]?.text}`);
    // The text an agent reads is the same JSON as the structured output.
    expect(JSON.parse(r.content[0].text!)).toEqual(r.structuredContent);
    return r.structuredContent;
  };
  const refusal = async (client: Client, tool: string, args: object) => {
    const r = await call(client, tool, args);
    expect(r.isError).toBe(true);
    return r.content[0].text!;
  };
  /** Calls wait-for-environment until it is done, as an agent would. */
  const waitDone = async (client: Client, args: object) =>
    eventually(
      'wait-for-environment to be done',
      async () => {
        const out = await ok(client, 'wait-for-environment', {
          timeoutSeconds: 20,
          ...args,
        });
        return out.done ? out : undefined;
      },
      240_000,
    );

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      rootConfig: {
        permission: { enabled: true },
        backend: { actions: { pluginSources: ['environments'] } },
        app: { baseUrl: 'http://portal.test' },
      },
      features: [
        ...ownerOnlyPermissions(),
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        mcpActionsPlugin,
      ],
    });
    owner = await agent('user:default/owner');
    other = await agent('user:default/other');
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await ctx?.api.delete(`/environments/${name}`).catch(() => undefined);
    await ctx?.backend.stop();
  });

  it('lists every environment tool, with honest hints', async () => {
    const { tools } = await owner.listTools();
    const ours = tools.filter(t => t.name.startsWith('environments.'));
    const short = (t: { name: string }) =>
      t.name.replace(/^environments\./, '');
    expect(ours.map(short).sort()).toEqual([...TOOLS].sort());
    const hints = Object.fromEntries(ours.map(t => [short(t), t.annotations]));
    for (const read of [
      'list-environments',
      'get-environment',
      'wait-for-environment',
      'get-logs',
      'resolve-service',
    ])
      expect(hints[read]).toMatchObject({
        readOnlyHint: true,
        destructiveHint: false,
      });
    expect(hints['destroy-environment']).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(hints['apply-environment']).toMatchObject({
      idempotentHint: true,
      destructiveHint: true,
    });
    expect(hints['create-environment']).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    });
    // Each tool says what it takes.
    const create = ours.find(t => short(t) === 'create-environment')!;
    expect(Object.keys(create.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'owner', 'purpose', 'services']),
    );
  });

  it('refuses a bad spec by field, and creates nothing', async () => {
    const text = await refusal(owner, 'create-environment', {
      name,
      owner: 'group:default/backend',
      purpose: 'weekend',
      services: [{ name: 'Bad_Name' }],
    });
    expect(text).toMatch(/^InputError: /);
    expect(text).toContain('purpose:');
    expect(text).toContain('services[0].name:');
    const list = await ok(owner, 'list-environments', { query: name });
    expect(list.environments).toEqual([]);
    const bad = await refusal(owner, 'list-environments', { phase: 'Happy' });
    expect(bad).toContain('phase: must be one of');
  });

  it('creates an environment and waits until it is Ready', async () => {
    const created = await ok(owner, 'create-environment', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global', replicas: 2 }],
    });
    expect(created.operation).toMatchObject({ type: 'create' });
    expect(created.environment).toMatchObject({
      name,
      owner: 'group:default/backend',
      url: `http://portal.test/environments/${name}`,
    });
    // A second create of the same name is refused; nothing changes.
    expect(
      await refusal(owner, 'create-environment', {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      }),
    ).toMatch(/ConflictError: name: .* already exists/);
    const waited = await waitDone(owner, {
      name,
      operationId: created.operation.id,
    });
    expect(waited).toMatchObject({
      done: true,
      ready: true,
      operation: { id: created.operation.id, status: 'succeeded' },
    });
    const read = await ok(owner, 'get-environment', { name });
    expect(read.environment.phase).toBe('Ready');
    expect(read.environment.services).toEqual([
      expect.objectContaining({
        name: 'global',
        readyReplicas: 2,
        desiredReplicas: 2,
      }),
    ]);
    expect(read.spec).toMatchObject({ name, purpose: 'sandbox' });
    // What the cluster holds: the environment's Deployment with two ready replicas.
    const ns = created.environment.namespace;
    const pods = await core.listNamespacedPod({ namespace: ns });
    expect(pods.items.filter(p => p.status?.phase === 'Running')).toHaveLength(
      2,
    );
    const listed = await ok(owner, 'list-environments', { owner: 'me' });
    expect(listed.environments.map((e: any) => e.name)).toContain(name);
  });

  it('reads for everyone, and changes, logs and destroy for owners only', async () => {
    // Anyone signed in may read it.
    const read = await ok(other, 'get-environment', { name });
    expect(read.environment.name).toBe(name);
    const before = read.environment.revision;
    for (const [tool, args, permission] of [
      [
        'deploy-services',
        { name, services: [{ name: 'global', version: '2.0.0' }] },
        'environments.environment.update',
      ],
      [
        'control-services',
        { name, action: 'stop' },
        'environments.environment.update',
      ],
      [
        'extend-environment',
        { name, ttl: '1d' },
        'environments.environment.update',
      ],
      [
        'apply-environment',
        {
          name,
          owner: 'group:default/backend',
          purpose: 'sandbox',
          services: [],
        },
        'environments.environment.update',
      ],
      [
        'get-logs',
        { name, service: 'global' },
        'environments.environment.logs',
      ],
      ['destroy-environment', { name }, 'environments.environment.delete'],
    ] as const) {
      const text = await refusal(other, tool, args);
      expect(text).toMatch(/^NotAllowedError: /);
      expect(text).toContain(permission);
    }
    // Nothing changed: same revision, same phase, no operation queued.
    const after = await ok(owner, 'get-environment', { name });
    expect(after.environment.revision).toBe(before);
    expect(after.environment.phase).toBe('Ready');
    expect(after.environment.lastOperation.type).toBe('create');
  });

  it('tails a log, resolves a service, extends and restarts it', async () => {
    const read0 = await ok(owner, 'get-environment', { name });
    const log = await ok(owner, 'get-logs', {
      name,
      service: 'global',
      lines: 5,
    });
    expect(log.pod).toMatch(/^global-/);
    expect(log.container).toBeTruthy();
    expect(typeof log.log).toBe('string');
    expect(
      await refusal(owner, 'get-logs', { name, service: 'global', lines: 0 }),
    ).toContain('lines: must be a whole number from 1 to 1000');
    // A container that never restarted has no previous log: the request's fault, said so.
    expect(
      await refusal(owner, 'get-logs', {
        name,
        service: 'global',
        previous: true,
      }),
    ).toMatch(/^InputError: previous: the API server refused the log request/);
    // An unknown environment is not found, for anyone, before any permission is asked.
    expect(
      await refusal(other, 'get-logs', {
        name: 'no-such-env',
        service: 'global',
      }),
    ).toMatch(/^NotFoundError: /);
    expect(
      await refusal(owner, 'wait-for-environment', {
        name,
        timeoutSeconds: 300,
      }),
    ).toContain('timeoutSeconds: must be a number from 0 to 55');
    const extended = await ok(owner, 'extend-environment', { name, ttl: '2h' });
    expect(extended.operation).toMatchObject({ type: 'extend' });
    expect(Date.parse(extended.expiresAt)).toBeGreaterThan(
      Date.parse(read0.environment.expiresAt),
    );
    await waitDone(owner, { name, operationId: extended.operation.id });
    const resolved = await ok(owner, 'resolve-service', {
      name,
      service: 'global',
    });
    expect(resolved).toMatchObject({
      answeredBy: name,
      chain: [name],
      address: expect.stringMatching(/^global\./),
    });
    const restart = await ok(owner, 'control-services', {
      name,
      action: 'restart',
      services: ['global'],
    });
    expect(restart.operation).toMatchObject({ type: 'restart' });
    expect(
      await waitDone(owner, { name, operationId: restart.operation.id }),
    ).toMatchObject({ done: true, ready: true });
    expect(
      await refusal(owner, 'control-services', { name, action: 'pause' }),
    ).toContain('action: must be one of stop, start, restart');
  });

  it('destroys it, and the cluster no longer holds it', async () => {
    const destroyed = await ok(owner, 'destroy-environment', { name });
    expect(destroyed.operation).toMatchObject({ type: 'destroy' });
    const waited = await waitDone(owner, {
      name,
      operationId: destroyed.operation.id,
    });
    expect(waited).toMatchObject({
      done: true,
      ready: false,
      environment: { phase: 'Destroyed' },
    });
    const left = await core.listNamespace({
      labelSelector: `${ENVIRONMENT_LABEL}=${name}`,
    });
    expect(left.items).toEqual([]);
    expect(await refusal(owner, 'destroy-environment', { name })).toMatch(
      /^NotFoundError: /,
    );
  });
});
