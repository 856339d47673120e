/*
 * The REST side of alerts (GET/PUT /environments/{name}/alerts, PUT/DELETE …/alerts/watch):
 * the view of an environment's rules with their sources, and the checks of a change. A bad
 * value answers 400 naming its field, and nothing is stored.
 */
import type {
  EnvironmentAlerts,
  FieldError,
} from '@archipelago/plugin-environments-common';
import type { EnvironmentsConfig } from '../config';
import { ValidationError } from '../errors';
import type {
  EnvironmentRecord,
  EnvironmentStore,
} from '../store/EnvironmentStore';
import { channelsOf, effectiveRules } from './AlertChecker';
import {
  ALERT_RULES,
  RULE_KEYS,
  RULE_OF_KEY,
  RuleKey,
  formatRuleValue,
  parseRuleValue,
} from './rules';

export async function alertsView(
  store: EnvironmentStore,
  config: EnvironmentsConfig,
  env: EnvironmentRecord,
  caller: string,
): Promise<EnvironmentAlerts> {
  const settings = await store.alerts.getSettings(env.id);
  const { rules, sources } = effectiveRules(config, env, settings);
  const defaults = effectiveRules(config, env, undefined).rules;
  const [watchers, state, history] = await Promise.all([
    store.alerts.watchers(env.id),
    store.alerts.states(env.id),
    store.alerts.history(env.id, 50),
  ]);
  return {
    rules: ALERT_RULES.map(rule => ({
      rule,
      key: RULE_KEYS[rule],
      value: formatRuleValue(rule, rules[rule]),
      source: sources[rule],
      purposeDefault: formatRuleValue(rule, defaults[rule]),
    })),
    channels: {
      available: config.alerts.channels.map(c => ({
        name: c.name,
        type: c.type,
        default: c.default,
      })),
      selected: channelsOf(config, settings).map(c => c.name),
      source: settings.channels === undefined ? 'default' : 'environment',
    },
    owner: env.owner,
    watchers,
    watching: watchers.includes(caller),
    // A rule turned off drops its state at the next check; until then its alert is not open.
    open: state
      .filter(s => s.firedAt && rules[s.rule] !== null)
      .map(s => ({
        rule: s.rule,
        key: s.key,
        title: s.title ?? s.rule,
        firedAt: s.firedAt!.toISOString(),
      })),
    history: history.map(h => ({ ...h, at: h.at.toISOString() })),
  };
}

/**
 * The shape of a PUT body, before openapi.yaml's check (which would name only "rules" for an
 * unknown rule): every unknown rule and non-string value by its field.
 */
export function alertSettingsShapeErrors(body: unknown): FieldError[] {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return [{ path: '', message: 'must be an object with rules and channels' }];
  const errors: FieldError[] = [];
  for (const key of Object.keys(body))
    if (key !== 'rules' && key !== 'channels')
      errors.push({
        path: key,
        message: 'is not a field; the fields are rules and channels',
      });
  const rules = (body as { rules?: unknown }).rules;
  if (rules !== undefined) {
    if (!rules || typeof rules !== 'object' || Array.isArray(rules))
      errors.push({
        path: 'rules',
        message: 'must be an object of rule values',
      });
    else
      for (const [key, value] of Object.entries(rules)) {
        if (!RULE_OF_KEY[key as RuleKey])
          errors.push({
            path: `rules.${key}`,
            message: `is not a rule; the rules are ${Object.values(
              RULE_KEYS,
            ).join(', ')}`,
          });
        else if (typeof value !== 'string')
          errors.push({
            path: `rules.${key}`,
            message: 'must be a string such as "10m", "on" or "off"',
          });
      }
  }
  return errors;
}

/**
 * Checks a PUT body against the rules and the configured channels: every problem is named
 * by its field (rules.degradedFor, channels[1]). The openapi.yaml schema has already refused
 * unknown fields and non-strings.
 */
export function parseAlertSettings(
  config: EnvironmentsConfig,
  body: unknown,
): { rules: Record<string, string>; channels?: string[] } {
  const errors: FieldError[] = [];
  const b = (body ?? {}) as {
    rules?: Record<string, unknown>;
    channels?: unknown[] | null;
  };
  const rules: Record<string, string> = {};
  for (const [key, value] of Object.entries(b.rules ?? {})) {
    const rule = RULE_OF_KEY[key as RuleKey];
    if (!rule) {
      errors.push({
        path: `rules.${key}`,
        message: `is not a rule; the rules are ${Object.values(RULE_KEYS).join(
          ', ',
        )}`,
      });
      continue;
    }
    const parsed = parseRuleValue(rule, String(value));
    if ('error' in parsed)
      errors.push({ path: `rules.${key}`, message: parsed.error });
    else rules[key] = String(value);
  }
  let channels: string[] | undefined;
  if (b.channels !== undefined && b.channels !== null) {
    channels = [];
    const known = new Set(config.alerts.channels.map(c => c.name));
    b.channels.forEach((name, i) => {
      if (typeof name !== 'string' || !known.has(name))
        errors.push({
          path: `channels[${i}]`,
          message: `no channel named "${String(name)}" is configured${
            known.size ? ` (there are ${[...known].join(', ')})` : ''
          }`,
        });
      else if (channels!.includes(name))
        errors.push({
          path: `channels[${i}]`,
          message: `"${name}" is named twice`,
        });
      else channels!.push(name);
    });
  }
  if (errors.length)
    throw new ValidationError(errors, 'Invalid alert settings');
  return { rules, ...(channels ? { channels } : {}) };
}
