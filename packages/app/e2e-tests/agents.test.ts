/*
 * docs/agents.md, as an agent uses it: an MCP client configured with the page's client snippet
 * (its URL and header, with the guest's own Backstage token) connects to the demo backend's MCP
 * actions server, lists the environment tools, creates an environment, waits for it, reads
 * it, is refused what the guest does not own, and destroys it. The environment page its link
 * opens is the page's picture.
 */
import { expect, test } from '@playwright/test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { docSnippet } from './docSnippets';
import { guestToken, openAsGuest } from './session';
import { screenshot } from './screenshot';

const root = path.resolve(__dirname, '../../..');
const baseUrl = process.env.ARCHIPELAGO_E2E_URL ?? 'http://localhost:3000';
const suffix = Date.now().toString(36).slice(-5);
const name = `agent-${suffix}`;
const designs = `agent-design-${suffix}`;
/** A service's token (app-config.e2e.yaml), for the environment the guest does not own. */
const serviceAuth = { Authorization: 'Bearer e2e-platform-service-token' };

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: any;
};

test.describe.serial('agents through the MCP endpoint (docs/agents.md)', () => {
  let client: Client;
  const call = async (tool: string, args: object) =>
    (await client.callTool({
      name: `environments.${tool}`,
      arguments: args as Record<string, unknown>,
    })) as ToolResult;
  const ok = async (tool: string, args: object) => {
    const r = await call(tool, args);
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    return r.structuredContent;
  };
  const waitDone = async (args: object) => {
    let out: any;
    await expect
      .poll(
        async () => {
          out = await ok('wait-for-environment', {
            timeoutSeconds: 20,
            ...args,
          });
          return out.done;
        },
        { timeout: 180_000, intervals: [0] },
      )
      .toBe(true);
    return out;
  };

  test.beforeAll(async ({ request }) => {
    // The client as docs/agents.md configures it: its URL (on the test app's port) and its
    // header, with the guest's own token for ${BACKSTAGE_TOKEN}.
    const { archipelago } = JSON.parse(
      docSnippet('agents.md', 'agents', 'mcp-client'),
    ).mcpServers;
    expect(archipelago.type).toBe('http');
    const token = await guestToken(request);
    const url = new URL(
      new URL(archipelago.url).pathname,
      baseUrl.replace(/\/+$/, ''),
    );
    const headers = Object.fromEntries(
      Object.entries(archipelago.headers as Record<string, string>).map(
        ([k, v]) => [k, v.replace('${BACKSTAGE_TOKEN}', token)],
      ),
    );
    client = new Client({ name: 'e2e-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(url, { requestInit: { headers } }),
    );
  });

  test.afterAll(async ({ request }) => {
    await client?.close();
    for (const n of [name, designs])
      await request.delete(`/api/environments/environments/${n}`, {
        headers: serviceAuth,
      });
  });

  test("the app's config is the page's", async () => {
    const documented = parse(docSnippet('agents.md', 'agents', 'app-config'));
    const config = parse(
      fs.readFileSync(path.join(root, 'app-config.yaml'), 'utf8'),
    );
    expect(config.backend.actions).toEqual(documented.backend.actions);
    expect(config.mcpActions).toEqual(documented.mcpActions);
    const backend = fs.readFileSync(
      path.join(root, 'packages/backend/src/index.ts'),
      'utf8',
    );
    expect(backend).toContain(
      "backend.add(import('@backstage/plugin-mcp-actions-backend'));",
    );
  });

  test('lists the environment tools', async () => {
    const { tools } = await client.listTools();
    const names = tools
      .map(t => t.name)
      .filter(n => n.startsWith('environments.'));
    expect(names.sort()).toEqual(
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
      ].map(t => `environments.${t}`),
    );
  });

  test('creates an environment, waits until it is Ready, and its link opens it', async ({
    page,
  }) => {
    const created = await ok('create-environment', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global' }],
    });
    expect(created.operation.type).toBe('create');
    const waited = await waitDone({ name, operationId: created.operation.id });
    expect(waited.message).toBe(`${name} is Ready`);
    expect(waited.ready).toBe(true);
    const read = await ok('get-environment', { name });
    expect(read.environment).toMatchObject({
      phase: 'Ready',
      owner: 'group:default/backend',
    });
    // The portal link the agent hands back opens the environment's page.
    const link = new URL(read.environment.url);
    await openAsGuest(page, `${link.pathname}${link.search}`);
    await expect(page.locator('header')).toContainText(name);
    await expect(page.locator('header').getByText('Ready')).toBeVisible();
    // Its topology drawn: the service's node, Ready.
    const node = page.getByTestId('topology-node-global');
    await expect(node).toHaveAttribute('data-health', 'Ready');
    await expect(node).toContainText('1/1 ready');
    // The picture: its pods, as the agent's user finds them.
    await page.getByRole('tab', { name: 'Pods' }).click();
    await expect(
      page
        .getByRole('row')
        .filter({ hasText: /global-/ })
        .first(),
    ).toContainText('Running');
    await screenshot(page, 'agents-environment');
  });

  test('is refused what the guest does not own, and changes nothing', async ({
    request,
  }) => {
    // The guest may not create for a group it is not in...
    const refused = await call('create-environment', {
      name: designs,
      owner: 'group:default/design',
      purpose: 'sandbox',
      services: [{ name: 'global' }],
    });
    expect(refused.isError).toBe(true);
    expect(refused.content[0].text).toContain(
      'owner: you may create environments only for yourself or a group you belong to',
    );
    // ...nor destroy the design group's environment.
    const res = await request.post('/api/environments/environments', {
      headers: serviceAuth,
      data: {
        name: designs,
        owner: 'group:default/design',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      },
    });
    expect(res.status(), await res.text()).toBe(202);
    const destroy = await call('destroy-environment', { name: designs });
    expect(destroy.isError).toBe(true);
    expect(destroy.content[0].text).toMatch(
      /^NotAllowedError: .*environments\.environment\.delete/,
    );
    const still = await ok('get-environment', { name: designs });
    expect(still.environment.lastOperation.type).toBe('create');
  });

  test('destroys its own environment', async () => {
    const destroyed = await ok('destroy-environment', { name });
    const waited = await waitDone({
      name,
      operationId: destroyed.operation.id,
    });
    expect(waited.environment.phase).toBe('Destroyed');
  });
});
