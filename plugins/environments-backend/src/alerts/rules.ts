/*
 * Alert rules (issue #15 §2): which alerts an environment's state raises, and which clear.
 * Pure: the inputs are what the check task read (the environment, its derived status, pods,
 * islands and recent operations, the time, the rules in effect and the stored alert state);
 * the answer says what to store and what to send. alerts/AlertChecker.ts applies it, claiming
 * each send with a conditional update so that replicas checking at once send once.
 */
import type {
  IslandView,
  Operation,
  PodView,
} from '@archipelago/plugin-environments-common';

export const ALERT_RULES = [
  'degraded',
  'crashLoop',
  'islandDown',
  'operationFailed',
  'expiring',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/**
 * The config and API key of each rule's value (environments.purposes.<p>.alerts.<key>, and the
 * body of PUT /environments/{name}/alerts). A duration ("30s", "5m", "1h") or "off";
 * operationFailed takes "on" or "off".
 */
export const RULE_KEYS = {
  degraded: 'degradedFor',
  crashLoop: 'crashLoop',
  islandDown: 'islandDown',
  operationFailed: 'operationFailed',
  expiring: 'expiringWithin',
} as const satisfies Record<AlertRule, string>;
export type RuleKey = (typeof RULE_KEYS)[AlertRule];
export const RULE_OF_KEY = Object.fromEntries(
  Object.entries(RULE_KEYS).map(([rule, key]) => [key, rule]),
) as Record<RuleKey, AlertRule>;

/**
 * The rules in effect, as seconds: how long a condition must hold before it fires (degraded,
 * crashLoop, islandDown), or how long before the expiry to warn (expiring). 0 for
 * operationFailed means on. null: off.
 */
export type EffectiveRules = Record<AlertRule, number | null>;

/** Rules that clear: a resolved message follows when the condition is gone. */
export const RESOLVING_RULES: ReadonlySet<AlertRule> = new Set([
  'degraded',
  'crashLoop',
  'islandDown',
]);

/**
 * A container restarted this often and not ready is crash-looping even before the kubelet
 * says CrashLoopBackOff (between back-offs its state is Running or Error, briefly).
 */
export const CRASH_LOOP_RESTARTS = 3;

/**
 * A failed operation raises an alert only if it finished this recently: a backend started
 * after downtime, or the rule's first check, does not announce old failures.
 */
export const OPERATION_LOOKBACK_MS = 15 * 60_000;

/**
 * Phases of an environment on its way out: its open alerts end without a message (a destroy is
 * no recovery), and nothing new fires.
 */
export const ENDING_PHASES: ReadonlySet<string> = new Set([
  'Destroying',
  'Expired',
  'Destroyed',
]);

/** How long the state of an operationFailed or expiring alert is kept after it fired. */
export const ONCE_RETENTION_MS = 86_400_000;

const RULE_DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** The longest duration a rule takes (30 days). */
export const MAX_RULE_SECONDS = 30 * 86400;

/**
 * A rule's value from its text, or an error message (the caller names the field). Durations
 * are whole seconds, minutes, hours or days.
 */
export function parseRuleValue(
  rule: AlertRule,
  text: string,
): { value: number | null } | { error: string } {
  if (text === 'off') return { value: null };
  if (rule === 'operationFailed') {
    if (text === 'on') return { value: 0 };
    return { error: `"${text}" must be "on" or "off"` };
  }
  const m = RULE_DURATION.exec(text);
  if (!m)
    return {
      error: `"${text}" must be a duration such as "30s", "5m" or "1h", or "off"`,
    };
  const seconds = parseInt(m[1], 10) * UNIT_SECONDS[m[2]];
  if (seconds > MAX_RULE_SECONDS)
    return { error: `"${text}" must be at most 30d` };
  return { value: seconds };
}

/** A rule's value as text, the form config and the API use. */
export function formatRuleValue(rule: AlertRule, value: number | null): string {
  if (value === null) return 'off';
  if (rule === 'operationFailed') return 'on';
  for (const [unit, s] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (value > 0 && value % s === 0) return `${value / s}${unit}`;
  return `${value}s`;
}

/** One alert's stored state (a row of environment_alert_state). */
export interface AlertState {
  rule: AlertRule;
  key: string;
  pendingSince: Date;
  firedAt?: Date;
  /** The title it fired with: a resolved message names the same thing. */
  title?: string;
}

/** A condition that holds now. */
export interface AlertCondition {
  rule: AlertRule;
  key: string;
  title: string;
  details: string[];
  /** The pod or island it is about, for a link that opens it. */
  pod?: string;
  service?: string;
}

export interface AlertInputs {
  env: { name: string; expiresAt?: Date };
  status: { phase: string; reasons: string[] };
  pods: PodView[];
  islands: Array<
    Pick<IslandView, 'id' | 'service' | 'desired' | 'phase' | 'reason' | 'pod'>
  >;
  operations: Array<
    Pick<Operation, 'id' | 'type' | 'status' | 'error' | 'finishedAt'>
  >;
  now: Date;
  rules: EffectiveRules;
  state: AlertState[];
}

export interface AlertDecision {
  /** Conditions seen for the first time that must hold longer: store them as pending. */
  pending: AlertCondition[];
  /** Conditions that held long enough and have not fired: claim and send each. */
  fire: Array<AlertCondition & { heldSince: Date }>;
  /** Fired alerts whose condition is gone: claim and send a resolved message. */
  resolve: AlertState[];
  /** State to drop without a message: pending conditions gone, rules turned off. */
  forget: AlertState[];
}

const stateKey = (rule: string, key: string) => `${rule}\u0000${key}`;

/** "45 minutes", "2 hours": how long until an instant, rounded to what a reader needs. */
export function timeLeft(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  return `${hours} hours`;
}

/** Every condition that holds now, for the rules that are on. */
export function conditions(input: AlertInputs): AlertCondition[] {
  const { env, status, rules, now } = input;
  const out: AlertCondition[] = [];
  if (
    rules.degraded !== null &&
    (status.phase === 'Degraded' || status.phase === 'Failed')
  )
    out.push({
      rule: 'degraded',
      key: 'environment',
      title: `Environment ${env.name} is ${status.phase}`,
      details: status.reasons.slice(0, 5),
    });
  if (rules.crashLoop !== null)
    for (const pod of input.pods) {
      if (pod.phase === 'Terminating') continue;
      for (const c of pod.containers) {
        const backOff = c.reason === 'CrashLoopBackOff';
        const climbing = !c.ready && c.restarts >= CRASH_LOOP_RESTARTS;
        if (!backOff && !climbing) continue;
        out.push({
          rule: 'crashLoop',
          key: `${pod.name}/${c.name}`,
          title: `Container ${c.name} of pod ${pod.name} is crash-looping in ${env.name}`,
          details: [
            `${c.restarts} restart${c.restarts === 1 ? '' : 's'}${
              c.reason ? `, ${c.reason}` : ''
            }`,
            ...(c.message ? [c.message.slice(0, 300)] : []),
          ],
          pod: pod.name,
          service: pod.service,
        });
      }
    }
  if (rules.islandDown !== null)
    for (const island of input.islands) {
      if (island.desired !== 'running') continue;
      if (!['Starting', 'Down', 'Lost'].includes(island.phase)) continue;
      out.push({
        rule: 'islandDown',
        key: `island-${island.id}`,
        title: `Island ${island.id} (${island.service}) is ${island.phase} in ${env.name}`,
        details: island.reason ? [island.reason] : [],
        service: island.service,
        ...(island.pod ? { pod: island.pod } : {}),
      });
    }
  if (rules.operationFailed !== null)
    for (const op of input.operations) {
      if (op.status !== 'failed' || !op.finishedAt) continue;
      const finished = new Date(op.finishedAt).getTime();
      if (now.getTime() - finished > OPERATION_LOOKBACK_MS) continue;
      out.push({
        rule: 'operationFailed',
        key: op.id,
        title: `Operation ${op.type} failed in ${env.name}`,
        details: op.error ? [op.error.slice(0, 500)] : [],
      });
    }
  if (rules.expiring !== null && env.expiresAt) {
    const left = env.expiresAt.getTime() - now.getTime();
    if (left > 0 && left <= rules.expiring * 1000)
      out.push({
        rule: 'expiring',
        // Per expiry: an extension sets a new one, which is warned about again.
        key: env.expiresAt.toISOString(),
        title: `Environment ${env.name} expires in ${timeLeft(left)}`,
        details: [
          `It will be destroyed at ${env.expiresAt.toISOString()}, with everything in it. Extend it to keep it: the link opens Extend.`,
        ],
      });
  }
  return out;
}

/**
 * What to do now. A condition fires once it has held for its rule's duration (measured from
 * the stored pendingSince, so it survives restarts and is the same on every replica);
 * operationFailed and expiring fire at once, once per operation and per expiry, and never
 * resolve. A fired alert of a resolving rule resolves when its condition is gone. A rule
 * turned off, or an environment on its way out, drops its state without a message.
 */
export function evaluate(input: AlertInputs): AlertDecision {
  const now = input.now.getTime();
  const ending = ENDING_PHASES.has(input.status.phase);
  const seen = ending ? [] : conditions(input);
  const state = new Map(input.state.map(s => [stateKey(s.rule, s.key), s]));
  const decision: AlertDecision = {
    pending: [],
    fire: [],
    resolve: [],
    forget: [],
  };
  const held = new Set<string>();
  for (const c of seen) {
    const k = stateKey(c.rule, c.key);
    held.add(k);
    const s = state.get(k);
    if (s?.firedAt) continue;
    const once = !RESOLVING_RULES.has(c.rule);
    const wait = once ? 0 : (input.rules[c.rule] ?? 0) * 1000;
    const since = s?.pendingSince ?? input.now;
    if (now - since.getTime() >= wait)
      decision.fire.push({ ...c, heldSince: since });
    else if (!s) decision.pending.push(c);
  }
  for (const s of input.state) {
    if (held.has(stateKey(s.rule, s.key))) continue;
    if (input.rules[s.rule] === null) decision.forget.push(s);
    else if (ending && RESOLVING_RULES.has(s.rule)) decision.forget.push(s);
    else if (!RESOLVING_RULES.has(s.rule)) {
      // Kept while its operation or expiry could still be seen, so it is not sent again.
      if (now - s.pendingSince.getTime() > ONCE_RETENTION_MS)
        decision.forget.push(s);
    } else if (s.firedAt) decision.resolve.push(s);
    else decision.forget.push(s);
  }
  return decision;
}
