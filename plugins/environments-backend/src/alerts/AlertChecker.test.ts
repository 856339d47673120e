/*
 * The alert check end to end below the cluster, on SQLite and PostgreSQL: the environment's
 * state comes from a function (the integration test, integration/alerts.test.ts, takes it
 * from the real cluster); rules, claims, history, Backstage notifications and a chat receiver
 * are real. Two checkers at once stand for two replicas.
 */
import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { EnvironmentStore } from '../store/EnvironmentStore';
import { readEnvironmentsConfig } from '../config';
import {
  AlertChecker,
  ObservedEnvironment,
  effectiveRules,
} from './AlertChecker';
import { receiver, wecomService } from '../__testUtils__/chatReceivers';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

const ready = { phase: 'Ready', reasons: [] };
const degraded = { phase: 'Degraded', reasons: ['game: 0/1 ready'] };

describe('AlertChecker', () => {
  it('takes the purpose defaults unless the environment overrides them', () => {
    const config = readEnvironmentsConfig(
      mockServices.rootConfig({
        data: {
          environments: {
            purposes: {
              feature: { alerts: { degradedFor: '10m', crashLoop: 'off' } },
              sandbox: { expiryWarning: '0m' },
            },
          },
        },
      }),
    );
    expect(effectiveRules(config, { purpose: 'feature' }, undefined)).toEqual({
      rules: {
        degraded: 600,
        crashLoop: null,
        islandDown: 120,
        operationFailed: 0,
        expiring: 3600,
      },
      sources: {
        degraded: 'purpose',
        crashLoop: 'purpose',
        islandDown: 'purpose',
        operationFailed: 'purpose',
        expiring: 'purpose',
      },
    });
    const own = effectiveRules(
      config,
      { purpose: 'sandbox' },
      { rules: { degradedFor: '30s', expiringWithin: '2h' } },
    );
    expect(own.rules).toMatchObject({ degraded: 30, expiring: 7200 });
    expect(own.sources).toMatchObject({
      degraded: 'environment',
      expiring: 'environment',
      crashLoop: 'purpose',
    });
    // expiryWarning "0m" never warned: the expiring rule's default is off.
    expect(
      effectiveRules(config, { purpose: 'sandbox' }, undefined).rules.expiring,
    ).toBeNull();
  });

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    it('sends once across replicas, and a resolved message after recovery', async () => {
      const store = await EnvironmentStore.create(
        await databases.init(databaseId),
      );
      const chat = await receiver(wecomService('k1'));
      try {
        const config = readEnvironmentsConfig(
          mockServices.rootConfig({
            data: {
              environments: {
                purposes: { feature: { alerts: { degradedFor: '10s' } } },
                alerts: {
                  channels: [
                    {
                      name: 'team-wecom',
                      type: 'wecom',
                      url: `${chat.base}/cgi-bin/webhook/send?key=k1`,
                    },
                    // Chosen too, and down: it must not stop the others.
                    {
                      name: 'down',
                      type: 'slack',
                      url: 'http://127.0.0.1:1/hook',
                    },
                  ],
                },
              },
            },
          }),
        );
        const { environment: env } = await store.createEnvironment({
          spec: {
            name: 'feat-alerts',
            owner: 'group:default/backend',
            purpose: 'feature',
            services: [{ name: 'game' }],
          },
          cluster: 'local',
          namespace: 'env-feat-alerts',
          createdBy: 'x',
        });
        await store.alerts.setSettings(
          env.id,
          { rules: {}, channels: ['team-wecom', 'down'] },
          'user:default/ann',
        );
        await store.alerts.watch(env.id, 'user:default/bob');
        const sent: NotificationSendOptions[] = [];
        let observed: ObservedEnvironment = {
          status: degraded,
          pods: [],
          islands: [],
          operations: [],
        };
        const checker = () =>
          new AlertChecker({
            store,
            config,
            logger: mockServices.logger.mock(),
            notifications: {
              send: async (o: NotificationSendOptions) => {
                sent.push(o);
              },
            } as any,
            appBaseUrl: 'https://portal.example/',
            observe: async () => observed,
            backoffMs: 1,
          });
        const t0 = Date.now();
        const at = (s: number) => new Date(t0 + s * 1000);
        await checker().check(at(0));
        expect(chat.accepted).toHaveLength(0);
        // Two replicas, once the condition has held degradedFor.
        await Promise.all([checker().check(at(11)), checker().check(at(11))]);
        await checker().check(at(20));
        expect(chat.accepted).toHaveLength(1);
        const content: string = chat.accepted[0].body.markdown.content;
        expect(content).toContain('**Environment feat-alerts is Degraded**');
        expect(content).toContain('> game: 0/1 ready');
        expect(content).toContain(
          '(https://portal.example/environments/feat-alerts)',
        );
        expect(sent).toEqual([
          {
            recipients: {
              type: 'entity',
              entityRef: ['group:default/backend', 'user:default/bob'],
            },
            payload: expect.objectContaining({
              title: 'Environment feat-alerts is Degraded',
              link: '/environments/feat-alerts',
              severity: 'high',
            }),
          },
        ]);
        // A failed deploy: one message, whatever the number of checks.
        observed = {
          ...observed,
          operations: [
            {
              id: 'op-9',
              type: 'deploy',
              status: 'failed',
              error: 'readiness timeout',
              finishedAt: at(21).toISOString(),
            },
          ],
        };
        await checker().check(at(22));
        await checker().check(at(25));
        expect(chat.accepted).toHaveLength(2);
        expect(chat.accepted[1].body.markdown.content).toContain(
          'Operation deploy failed in feat-alerts',
        );
        // Recovered: one resolved message, on every channel and to every recipient.
        observed = { ...observed, status: ready };
        await Promise.all([checker().check(at(30)), checker().check(at(30))]);
        await checker().check(at(40));
        expect(chat.accepted).toHaveLength(3);
        expect(chat.accepted[2].body.markdown.content).toContain(
          '**Resolved: Environment feat-alerts recovered**',
        );
        expect(sent.map(s => s.payload.title)).toEqual([
          'Environment feat-alerts is Degraded',
          'Operation deploy failed in feat-alerts',
          'Environment feat-alerts recovered',
        ]);
        expect(
          (await store.alerts.history(env.id)).map(e => [e.rule, e.kind]),
        ).toEqual([
          ['degraded', 'resolved'],
          ['operationFailed', 'firing'],
          ['degraded', 'firing'],
        ]);
        // Degraded again, then stopped by its owner: resolved, but not "recovered".
        observed = { ...observed, status: degraded };
        await checker().check(at(50));
        await checker().check(at(61));
        observed = { ...observed, status: { phase: 'Stopped', reasons: [] } };
        await checker().check(at(70));
        expect(sent.map(s => s.payload.title).slice(3)).toEqual([
          'Environment feat-alerts is Degraded',
          'Environment feat-alerts is no longer Degraded or Failed',
        ]);
        expect(sent[4].payload.description).toBe('It is Stopped now.');
        expect(chat.accepted).toHaveLength(5);
        // Degraded again, then destroyed: the alert ends without a message.
        observed = { ...observed, status: degraded };
        await checker().check(at(80));
        await checker().check(at(91));
        observed = {
          ...observed,
          status: { phase: 'Destroying', reasons: [] },
        };
        await checker().check(at(100));
        expect(sent).toHaveLength(6);
        expect(chat.accepted).toHaveLength(6);
        expect(await store.alerts.states(env.id)).toEqual([
          expect.objectContaining({ rule: 'operationFailed', key: 'op-9' }),
        ]);
      } finally {
        await chat.close();
      }
    });
  });
});
