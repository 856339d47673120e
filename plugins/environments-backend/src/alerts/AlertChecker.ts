/*
 * The alert check: one scheduled task across replicas (scope global) evaluates every live
 * environment's rules (rules.ts) and sends what fires and what resolves, to Backstage
 * notifications (the owner and the watchers) and to the environment's chat channels.
 *
 * Each send is claimed first (AlertStore.claimFire / claimResolve), so even two replicas
 * running the check at once (a task handed over mid-run) send each message once; the state
 * is in the database, so a restart neither repeats an alert nor loses its resolution.
 */
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  EnvironmentLinkQuery,
  EnvironmentTab,
  environmentPath,
} from '@archipelago/plugin-environments-common';
import type { EnvironmentsConfig } from '../config';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import type { AlertSettings } from './AlertStore';
import { AlertMessage, ChannelSettings, deliver } from './channels';
import {
  ALERT_RULES,
  AlertCondition,
  AlertInputs,
  AlertRule,
  AlertState,
  EffectiveRules,
  RULE_KEYS,
  evaluate,
  parseRuleValue,
} from './rules';

/** What the check reads of an environment besides its record. */
export type ObservedEnvironment = Pick<
  AlertInputs,
  'status' | 'pods' | 'islands' | 'operations'
>;

export type RuleSource = 'purpose' | 'environment';

/** The rules in effect for an environment, and where each comes from. */
export function effectiveRules(
  config: EnvironmentsConfig,
  env: Pick<EnvironmentRecord, 'purpose'>,
  settings: Pick<AlertSettings, 'rules'> | undefined,
): { rules: EffectiveRules; sources: Record<AlertRule, RuleSource> } {
  const defaults =
    config.purposes[env.purpose as keyof typeof config.purposes]?.alerts;
  const rules = {} as EffectiveRules;
  const sources = {} as Record<AlertRule, RuleSource>;
  for (const rule of ALERT_RULES) {
    const own = settings?.rules[RULE_KEYS[rule]];
    const parsed = own === undefined ? undefined : parseRuleValue(rule, own);
    if (parsed && 'value' in parsed) {
      rules[rule] = parsed.value;
      sources[rule] = 'environment';
    } else {
      rules[rule] = defaults?.[rule] ?? null;
      sources[rule] = 'purpose';
    }
  }
  return { rules, sources };
}

/** The configured channels an environment's alerts go to. */
export function channelsOf(
  config: EnvironmentsConfig,
  settings: Pick<AlertSettings, 'channels'> | undefined,
): ChannelSettings[] {
  const all = config.alerts.channels;
  if (settings?.channels === undefined) return all.filter(c => c.default);
  return all.filter(c => settings.channels!.includes(c.name));
}

/** Where a message links to in the portal: the tab that shows what it is about. */
function linkOf(
  env: string,
  rule: AlertRule,
  c: Pick<AlertCondition, 'pod' | 'service'>,
): string {
  const at = (tab: EnvironmentTab, q: EnvironmentLinkQuery = {}) =>
    environmentPath(env, tab, q);
  switch (rule) {
    case 'crashLoop':
      return at('logs', c.pod ? { pod: c.pod } : {});
    case 'islandDown':
      return at('islands', c.service ? { service: c.service } : {});
    case 'expiring':
      return at('topology', { action: 'extend' });
    default:
      return at('topology');
  }
}

/** The notification topic: the degraded and expiry topics are those sent before rules. */
function topicOf(env: string, rule: AlertRule): string {
  if (rule === 'degraded') return `environment:${env}`;
  if (rule === 'expiring') return `environment:${env}:expiry`;
  return `environment:${env}:${rule}`;
}

export class AlertChecker {
  constructor(
    private readonly options: {
      store: EnvironmentStore;
      config: EnvironmentsConfig;
      logger: LoggerService;
      notifications?: NotificationService;
      /** app.baseUrl: chat messages link to the portal absolutely. */
      appBaseUrl: string;
      /** Reads an environment's status, pods, islands and operations. */
      observe: (
        env: EnvironmentRecord,
        recent: OperationRecord[] | undefined,
        wants: { islands: boolean },
      ) => Promise<ObservedEnvironment>;
      /** The pause before a delivery's second attempt (tests shorten it). */
      backoffMs?: number;
    },
  ) {}

  /** Evaluates every live environment once; deliveries finish before it returns. */
  async check(now = new Date()) {
    const { store, logger } = this.options;
    const envs = await store.listEnvironments({});
    if (!envs.length) return;
    const ids = envs.map(e => e.id);
    const [recent, settings] = await Promise.all([
      store.queue.recentOperations(ids, 20),
      store.alerts.allSettings(ids),
    ]);
    const deliveries: Array<Promise<unknown>> = [];
    for (const env of envs) {
      try {
        await this.checkEnvironment(
          env,
          now,
          settings.get(env.id),
          recent.get(env.id),
          deliveries,
        );
      } catch (e) {
        logger.warn(`checking the alerts of ${env.name} failed: ${String(e)}`);
      }
    }
    await Promise.allSettled(deliveries);
  }

  private async checkEnvironment(
    env: EnvironmentRecord,
    now: Date,
    settings: AlertSettings | undefined,
    recent: OperationRecord[] | undefined,
    deliveries: Array<Promise<unknown>>,
  ) {
    const { store, config } = this.options;
    const { rules } = effectiveRules(config, env, settings);
    const state = await store.alerts.states(env.id);
    if (ALERT_RULES.every(r => rules[r] === null) && !state.length) return;
    const observed = await this.options.observe(env, recent, {
      islands: rules.islandDown !== null,
    });
    const decision = evaluate({
      env: { name: env.name, expiresAt: env.expiresAt },
      ...observed,
      now,
      rules,
      state,
    });
    for (const c of decision.pending)
      await store.alerts.markPending(env.id, c.rule, c.key, now);
    for (const s of decision.forget)
      await store.alerts.forget(env.id, s.rule, s.key);
    for (const c of decision.fire) {
      const won = await store.alerts.claimFire(
        env.id,
        c.rule,
        c.key,
        { title: c.title, details: c.details },
        c.heldSince,
        now,
      );
      if (!won) continue;
      await store.alerts.record(env.id, {
        rule: c.rule,
        key: c.key,
        kind: 'firing',
        title: c.title,
        details: c.details,
        at: now,
      });
      deliveries.push(this.send(env, settings, c, 'firing'));
    }
    for (const s of decision.resolve) {
      if (!(await store.alerts.claimResolve(env.id, s.rule, s.key))) continue;
      const { title, details } = resolution(env.name, s, observed.status.phase);
      await store.alerts.record(env.id, {
        rule: s.rule,
        key: s.key,
        kind: 'resolved',
        title,
        details,
        at: now,
      });
      deliveries.push(
        this.send(
          env,
          settings,
          { rule: s.rule, key: s.key, title, details, ...podOf(s) },
          'resolved',
        ),
      );
    }
  }

  /** Sends one message to the owner and watchers, and to the chosen channels. Never throws. */
  private async send(
    env: EnvironmentRecord,
    settings: AlertSettings | undefined,
    c: AlertCondition,
    kind: AlertMessage['kind'],
  ) {
    const { logger, notifications, config, store } = this.options;
    const path = linkOf(env.name, c.rule, c);
    const message: AlertMessage = {
      environment: env.name,
      rule: c.rule,
      kind,
      title: c.title,
      details: c.details,
      link: `${this.options.appBaseUrl.replace(/\/+$/, '')}${path}`,
    };
    const jobs: Array<Promise<unknown>> = channelsOf(config, settings).map(ch =>
      deliver(ch, message, {
        logger,
        attempts: config.alerts.deliveryAttempts,
        backoffMs: this.options.backoffMs,
      }),
    );
    if (notifications) {
      const watchers = await store.alerts.watchers(env.id).catch(() => []);
      jobs.push(
        notifications
          .send({
            recipients: {
              type: 'entity',
              entityRef: [env.owner, ...watchers.filter(w => w !== env.owner)],
            },
            payload: {
              title:
                kind === 'resolved' && c.rule !== 'degraded'
                  ? `Resolved: ${c.title}`
                  : c.title,
              description: c.details.join('\n'),
              link: path,
              severity:
                kind === 'resolved' || c.rule === 'expiring'
                  ? 'normal'
                  : 'high',
              topic: topicOf(env.name, c.rule),
              scope: `${topicOf(env.name, c.rule)}:${c.key}`,
            },
          })
          .catch(e =>
            logger.warn(
              `could not notify ${env.owner} about ${env.name} (${
                c.rule
              }): ${String(e)}`,
            ),
          ),
      );
    }
    await Promise.allSettled(jobs);
  }
}

/** What a resolved message says: a degraded environment recovered, or is Stopped now, say. */
function resolution(
  env: string,
  s: AlertState,
  phase: string,
): { title: string; details: string[] } {
  if (s.rule !== 'degraded')
    return {
      title: s.title ?? `${s.rule} ${s.key}`,
      details: ['The condition cleared.'],
    };
  if (phase === 'Ready')
    return {
      title: `Environment ${env} recovered`,
      details: ['All services are ready again.'],
    };
  return {
    title: `Environment ${env} is no longer Degraded or Failed`,
    details: [`It is ${phase} now.`],
  };
}

/** A crash loop's key is pod/container: its resolution links to the same pod. */
function podOf(s: AlertState): Pick<AlertCondition, 'pod'> {
  return s.rule === 'crashLoop' ? { pod: s.key.split('/')[0] } : {};
}

/** Schedules the check on every replica; the scheduler runs it on one at a time. */
export async function scheduleAlerts(options: {
  scheduler: SchedulerService;
  checker: AlertChecker;
  everySeconds: number;
}) {
  await options.scheduler.scheduleTask({
    id: 'environments-alerts',
    scope: 'global',
    frequency: { seconds: options.everySeconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds: Math.min(10, options.everySeconds) },
    fn: () => options.checker.check(),
  });
}
