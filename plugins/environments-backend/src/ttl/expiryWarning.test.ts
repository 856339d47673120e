/*
 * Expiry warnings (issue #15): the alert rule `expiring`, whose default is the purpose's
 * expiryWarning, warns an owner once per expiry, with a link that opens the Extend dialog,
 * even when two replicas check at once; on SQLite and PostgreSQL.
 */
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { EnvironmentStore } from '../store/EnvironmentStore';
import { readEnvironmentsConfig } from '../config';
import { timeLeft } from '../alerts/rules';
import { AlertChecker } from '../alerts/AlertChecker';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

describe('expiry warnings', () => {
  it('says how long is left in minutes, then hours', () => {
    expect(timeLeft(30_000)).toBe('1 minute');
    expect(timeLeft(45 * 60_000)).toBe('45 minutes');
    expect(timeLeft(3 * 3600_000)).toBe('3 hours');
  });

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    it('warns the owner once per expiry, with a link that opens Extend', async () => {
      const store = await EnvironmentStore.create(
        await databases.init(databaseId),
      );
      const config = readEnvironmentsConfig(
        mockServices.rootConfig({
          data: {
            environments: {
              purposes: { sandbox: { expiryWarning: '0m' } },
            },
          },
        }),
      );
      const sent: NotificationSendOptions[] = [];
      const notifications = {
        send: async (o: NotificationSendOptions) => {
          sent.push(o);
        },
      };
      const now = new Date();
      const make = (name: string, purpose: 'feature' | 'sandbox', m: number) =>
        store.createEnvironment({
          spec: {
            name,
            owner: 'group:default/backend',
            purpose,
            services: [{ name: 'game' }],
          },
          cluster: 'local',
          namespace: `env-${name}`,
          createdBy: 'x',
          expiresAt: new Date(now.getTime() + m * 60_000),
        });
      await make('exp-soon', 'feature', 20);
      await make('exp-later', 'feature', 120);
      await make('exp-sandbox', 'sandbox', 5);
      const checker = () =>
        new AlertChecker({
          store,
          config,
          logger: mockServices.logger.mock(),
          notifications: notifications as any,
          appBaseUrl: 'http://portal.test',
          // A Ready environment with nothing else to say: only the expiry can warn.
          observe: async () => ({
            status: { phase: 'Ready', reasons: [] },
            pods: [],
            islands: [],
            operations: [],
          }),
        });
      // Two replicas at once, then again: one warning.
      await Promise.all([checker().check(now), checker().check(now)]);
      await checker().check(now);
      expect(sent).toEqual([
        {
          recipients: { type: 'entity', entityRef: ['group:default/backend'] },
          payload: expect.objectContaining({
            title: 'Environment exp-soon expires in 20 minutes',
            link: '/environments/exp-soon?action=extend',
            topic: 'environment:exp-soon:expiry',
          }),
        },
      ]);
      expect(sent[0].payload.description).toContain('It will be destroyed at');

      // An extension is a new expiry: warned about again when it comes near.
      await store.requestOperation(
        'exp-soon',
        { type: 'extend', requestedBy: 'x', params: {} },
        { expiresAt: new Date(now.getTime() + 45 * 60_000) },
      );
      await Promise.all([checker().check(now), checker().check(now)]);
      expect(sent.map(o => o.payload.title)).toEqual([
        'Environment exp-soon expires in 20 minutes',
        'Environment exp-soon expires in 45 minutes',
      ]);
    });
  });
});
