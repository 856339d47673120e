/*
 * Alerts against the local test cluster (issue #15 §2): a pod of an environment is switched to
 * crash-looping (kwok's failure stage, scripts/cluster/manifests/failure-stages.yaml); with a
 * short degradedFor and crashLoop, every chat receiver (DingTalk and Feishu signed, WeCom,
 * Slack; each checks requests as the real service does) gets exactly one Degraded message and
 * one crash-loop message, with a link to the environment in the portal; after a restart brings
 * it back, exactly one resolved message of each. Then an apply over the purpose's quota fails:
 * exactly one operationFailed message, with the error. An island crashed with kwok's exit
 * switch: one islandDown message, and one resolved message once it is restarted. The rules' state is in the database the
 * test reads back through the API.
 */
import {
  eventually,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';
import {
  dingtalkService,
  feishuService,
  receiver,
  slackService,
  wecomService,
} from '../__testUtils__/chatReceivers';

jest.setTimeout(300_000);

describe('alerts on the test cluster', () => {
  const { core } = testKube();
  const name = uniqueName('alerts');
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  let receivers: Record<string, Awaited<ReturnType<typeof receiver>>>;

  beforeAll(async () => {
    receivers = {
      dingtalk: await receiver(dingtalkService('t0k', 'SEC-ding')),
      feishu: await receiver(feishuService('fs-secret')),
      wecom: await receiver(wecomService('wk')),
      slack: await receiver(slackService()),
    };
    ctx = await startEnvironmentsBackend({
      // A range of its own: other suites' islands never share its ports.
      cluster: { islands: { ports: '7600-7699' } },
      rootConfig: { app: { baseUrl: 'http://portal.test' } },
      config: {
        purposes: {
          sandbox: {
            alerts: { degradedFor: '5s', crashLoop: '5s', islandDown: '5s' },
          },
        },
        alerts: {
          checkInterval: '1s',
          channels: [
            {
              name: 'ding',
              type: 'dingtalk',
              url: `${receivers.dingtalk.base}/robot/send?access_token=t0k`,
              secret: 'SEC-ding',
              default: true,
            },
            {
              name: 'lark',
              type: 'feishu',
              url: `${receivers.feishu.base}/open-apis/bot/v2/hook/x`,
              secret: 'fs-secret',
              default: true,
            },
            {
              name: 'wecom',
              type: 'wecom',
              url: `${receivers.wecom.base}/cgi-bin/webhook/send?key=wk`,
              default: true,
            },
            {
              name: 'slack',
              type: 'slack',
              url: `${receivers.slack.base}/services/T/B/x`,
              default: true,
            },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await ctx?.api.delete(`/environments/${name}`);
    await ctx?.api.delete(`/environments/${name}-isl`);
    await ctx?.backend.stop();
    for (const r of Object.values(receivers ?? {})) await r.close();
  });

  /** The text of each accepted message, per receiver. */
  const texts = (kind: string) =>
    receivers[kind].accepted.map(r => JSON.stringify(r.body));
  const count = (kind: string, pattern: RegExp) =>
    texts(kind).filter(t => pattern.test(t)).length;
  const phase = (wanted: string) =>
    eventually(
      `${name} to be ${wanted}`,
      async () => {
        const env = (await ctx.api.get(`/environments/${name}`)).body;
        return env.status?.phase === wanted ? env : undefined;
      },
      180_000,
    );

  it('sends one alert per rule to every channel, and one resolved message after recovery', async () => {
    const created = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global' }],
    });
    expect(created.status).toBe(202);
    await phase('Ready');
    const [pod] = (
      await core.listNamespacedPod({
        namespace: `env-${name}`,
        labelSelector: 'archipelago.dev/service=global',
      })
    ).items;
    await core.patchNamespacedPod({
      name: pod.metadata!.name!,
      namespace: `env-${name}`,
      body: [
        {
          op: 'add',
          path: '/metadata/labels/archipelago.dev~1simulate',
          value: 'crashloop',
        },
      ],
    });
    await phase('Degraded');
    const degraded = new RegExp(`Environment ${name} is Degraded`);
    const crash = new RegExp(
      `Container [a-z0-9-]+ of pod ${
        pod.metadata!.name
      } is crash-looping in ${name}`,
    );
    const kinds = Object.keys(receivers);
    await eventually(
      'every channel to hear of both alerts',
      async () =>
        kinds.every(k => count(k, degraded) && count(k, crash))
          ? true
          : undefined,
      60_000,
    );
    // Several more checks run (every second): nothing is sent again.
    await new Promise(r => setTimeout(r, 4000));
    for (const k of kinds) {
      expect([k, count(k, degraded), count(k, crash)]).toEqual([k, 1, 1]);
      expect(texts(k).join('\n')).toContain(
        `http://portal.test/environments/${name}`,
      );
    }
    // Refused requests (a bad signature, a bad shape) would be here and not in accepted.
    for (const k of kinds)
      expect([k, receivers[k].requests.length]).toEqual([
        k,
        receivers[k].accepted.length,
      ]);
    const alerts = (await ctx.api.get(`/environments/${name}/alerts`)).body;
    expect(alerts.open.map((o: any) => o.rule).sort()).toEqual([
      'crashLoop',
      'degraded',
    ]);
    expect(alerts.channels).toMatchObject({
      selected: ['ding', 'lark', 'wecom', 'slack'],
      source: 'default',
    });
    expect(alerts.rules.find((r: any) => r.key === 'degradedFor')).toEqual({
      rule: 'degraded',
      key: 'degradedFor',
      value: '5s',
      source: 'purpose',
      purposeDefault: '5s',
    });

    // A restart replaces the crash-looping pod: Ready again, and resolved.
    const restart = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'restart',
      services: ['global'],
    });
    expect(restart.status).toBe(202);
    await phase('Ready');
    const recovered = new RegExp(`Resolved: Environment ${name} recovered`);
    const crashResolved = new RegExp(`Resolved: Container [a-z0-9-]+ of pod`);
    await eventually(
      'every channel to hear of the recovery',
      async () =>
        kinds.every(k => count(k, recovered) && count(k, crashResolved))
          ? true
          : undefined,
      60_000,
    );
    await new Promise(r => setTimeout(r, 3000));
    for (const k of kinds)
      expect([k, count(k, recovered), count(k, crashResolved)]).toEqual([
        k,
        1,
        1,
      ]);
    const after = (await ctx.api.get(`/environments/${name}/alerts`)).body;
    expect(after.open).toEqual([]);
    expect(after.history.map((h: any) => `${h.rule} ${h.kind}`).sort()).toEqual(
      [
        'crashLoop firing',
        'crashLoop resolved',
        'degraded firing',
        'degraded resolved',
      ],
    );
  });

  it('sends one message for a failed operation, with its error', async () => {
    // 21 pods, over the sandbox quota of 20: the apply fails before it applies anything.
    const apply = await ctx.api.put(`/environments/${name}`, {
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global', replicas: 20 }, { name: 'matching' }],
    });
    expect([apply.status, apply.body.error?.message]).toEqual([202, undefined]);
    const op = await operationFinished(ctx.api, name, apply.body.operation.id);
    expect(op.status).toBe('failed');
    const failed = new RegExp(`Operation apply failed in ${name}`);
    const kinds = Object.keys(receivers);
    await eventually(
      'every channel to hear of the failed apply',
      async () => (kinds.every(k => count(k, failed)) ? true : undefined),
      60_000,
    );
    await new Promise(r => setTimeout(r, 3000));
    for (const k of kinds) {
      expect([k, count(k, failed)]).toEqual([k, 1]);
      expect(texts(k).find(t => failed.test(t))).toContain('Over the quota');
    }
    const alerts = (await ctx.api.get(`/environments/${name}/alerts`)).body;
    expect(alerts.history).toContainEqual(
      expect.objectContaining({
        rule: 'operationFailed',
        key: op.id,
        kind: 'firing',
      }),
    );
    expect(alerts.open.map((o: any) => o.rule)).toContain('operationFailed');
    // Turned off, its alert is no longer open: in the change's own answer too.
    const off = await ctx.api.put(`/environments/${name}/alerts`, {
      rules: { operationFailed: 'off' },
    });
    expect(off.status).toBe(200);
    expect(off.body.open.map((o: any) => o.rule)).not.toContain(
      'operationFailed',
    );
    const later = (await ctx.api.get(`/environments/${name}/alerts`)).body;
    expect(later.open.map((o: any) => o.rule)).not.toContain('operationFailed');
  });

  it('sends one message for an island that is down, and one when it is back', async () => {
    const env = `${name}-isl`;
    const created = await ctx.api.post('/environments', {
      name: env,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'altraserver' }],
    });
    expect(created.status).toBe(202);
    const add = await ctx.api.post(`/environments/${env}/operations`, {
      type: 'island-add',
      service: 'altraserver',
      count: 1,
    });
    expect(add.status).toBe(202);
    expect((await operationFinished(ctx.api, env, add.body.id)).status).toBe(
      'succeeded',
    );
    const island = await eventually('the island to be Ready', async () => {
      const [i] = (await ctx.api.get(`/environments/${env}/islands`)).body
        .items;
      return i?.phase === 'Ready' ? i : undefined;
    });
    await core.patchNamespacedPod({
      namespace: `env-${env}`,
      name: island.pod,
      body: [
        {
          op: 'add',
          path: '/metadata/labels/archipelago.dev~1simulate',
          value: 'exit',
        },
      ],
    });
    const down = new RegExp(
      `Island ${island.id} \\(altraserver\\) is Down in ${env}`,
    );
    const kinds = Object.keys(receivers);
    await eventually(
      'every channel to hear of the island',
      async () => (kinds.every(k => count(k, down)) ? true : undefined),
      60_000,
    );
    await new Promise(r => setTimeout(r, 3000));
    for (const k of kinds) {
      expect([k, count(k, down)]).toEqual([k, 1]);
      expect(texts(k).find(t => down.test(t))).toContain(
        `http://portal.test/environments/${env}/islands?service=altraserver`,
      );
    }
    const restart = await ctx.api.post(`/environments/${env}/operations`, {
      type: 'island-restart',
      island: island.id,
    });
    expect(restart.status).toBe(202);
    expect(
      (await operationFinished(ctx.api, env, restart.body.id)).status,
    ).toBe('succeeded');
    const back = new RegExp(`Resolved: Island ${island.id} \\(altraserver\\)`);
    await eventually(
      'every channel to hear the island is back',
      async () => (kinds.every(k => count(k, back)) ? true : undefined),
      60_000,
    );
    await new Promise(r => setTimeout(r, 3000));
    for (const k of kinds) expect([k, count(k, back)]).toEqual([k, 1]);
  });
});
