/*
 * The alert rules (issue #15 §2): each rule's condition, the wait before firing, resolution
 * and forgetting; and a property test that drives random histories through evaluate() with a
 * state kept as AlertStore keeps it, checking that every episode fires at most once, never
 * before its rule's time, and resolves only after it fired.
 */
import fc from 'fast-check';
import type { PodView } from '@archipelago/plugin-environments-common';
import {
  AlertInputs,
  AlertState,
  EffectiveRules,
  OPERATION_LOOKBACK_MS,
  evaluate,
  formatRuleValue,
  parseRuleValue,
} from './rules';

const t0 = new Date('2026-12-07T12:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const rules: EffectiveRules = {
  degraded: 300,
  crashLoop: 120,
  islandDown: 60,
  operationFailed: 0,
  expiring: 3600,
};
const pod = (
  name: string,
  c: Partial<PodView['containers'][number]> = {},
): PodView => ({
  name,
  service: 'game',
  version: 'v1',
  phase: 'Running',
  ready: !!c.ready,
  restarts: c.restarts ?? 0,
  containers: [
    {
      name: 'main',
      ready: false,
      restarts: 0,
      state: 'running',
      ...c,
    } as PodView['containers'][number],
  ],
});
const input = (over: Partial<AlertInputs> = {}): AlertInputs => ({
  env: { name: 'feat-1' },
  status: { phase: 'Ready', reasons: [] },
  pods: [],
  islands: [],
  operations: [],
  now: t0,
  rules,
  state: [],
  ...over,
});

describe('rule values', () => {
  it('reads durations, on and off, and writes them back', () => {
    expect(parseRuleValue('degraded', '10s')).toEqual({ value: 10 });
    expect(parseRuleValue('degraded', '5m')).toEqual({ value: 300 });
    expect(parseRuleValue('expiring', '2h')).toEqual({ value: 7200 });
    expect(parseRuleValue('crashLoop', 'off')).toEqual({ value: null });
    expect(parseRuleValue('operationFailed', 'on')).toEqual({ value: 0 });
    expect(parseRuleValue('operationFailed', '5m')).toEqual({
      error: '"5m" must be "on" or "off"',
    });
    expect(parseRuleValue('degraded', 'soon')).toHaveProperty('error');
    expect(parseRuleValue('degraded', '31d')).toEqual({
      error: '"31d" must be at most 30d',
    });
    expect(formatRuleValue('degraded', 300)).toBe('5m');
    expect(formatRuleValue('degraded', 90)).toBe('90s');
    expect(formatRuleValue('expiring', 7200)).toBe('2h');
    expect(formatRuleValue('operationFailed', 0)).toBe('on');
    expect(formatRuleValue('crashLoop', null)).toBe('off');
  });
});

describe('evaluate', () => {
  it('waits degradedFor before a Degraded environment fires, then resolves it', () => {
    const degraded = { phase: 'Degraded', reasons: ['game: 0/1 ready'] };
    const first = evaluate(input({ status: degraded }));
    expect(first.fire).toEqual([]);
    expect(first.pending).toEqual([
      expect.objectContaining({
        rule: 'degraded',
        key: 'environment',
        title: 'Environment feat-1 is Degraded',
        details: ['game: 0/1 ready'],
      }),
    ]);
    const pending: AlertState = {
      rule: 'degraded',
      key: 'environment',
      pendingSince: t0,
    };
    expect(
      evaluate(input({ status: degraded, now: at(299), state: [pending] })),
    ).toEqual({ pending: [], fire: [], resolve: [], forget: [] });
    const due = evaluate(
      input({ status: degraded, now: at(300), state: [pending] }),
    );
    expect(due.fire).toEqual([
      expect.objectContaining({ rule: 'degraded', heldSince: t0 }),
    ]);
    const fired = { ...pending, firedAt: at(300) };
    // Still degraded: nothing more. Failed counts as broken too.
    expect(
      evaluate(
        input({
          status: { phase: 'Failed', reasons: [] },
          now: at(900),
          state: [fired],
        }),
      ).fire,
    ).toEqual([]);
    // Recovered: resolve the fired alert.
    expect(evaluate(input({ now: at(960), state: [fired] })).resolve).toEqual([
      fired,
    ]);
  });

  it('forgets a condition that cleared before it fired, without a message', () => {
    const pending: AlertState = {
      rule: 'degraded',
      key: 'environment',
      pendingSince: t0,
    };
    expect(evaluate(input({ now: at(60), state: [pending] }))).toEqual({
      pending: [],
      fire: [],
      resolve: [],
      forget: [pending],
    });
  });

  it('finds crash loops by CrashLoopBackOff, or by restarts while not ready', () => {
    const found = evaluate(
      input({
        rules: { ...rules, crashLoop: 0 },
        pods: [
          pod('a', {
            reason: 'CrashLoopBackOff',
            restarts: 1,
            state: 'waiting',
          }),
          pod('b', { restarts: 3, ready: false, reason: 'Error' }),
          // Restarted often, but ready now: not a crash loop.
          pod('c', { restarts: 7, ready: true }),
          pod('d', { restarts: 2, ready: false }),
          { ...pod('e', { reason: 'CrashLoopBackOff' }), phase: 'Terminating' },
        ],
      }),
    ).fire;
    expect(found.map(f => f.key)).toEqual(['a/main', 'b/main']);
    expect(found[0]).toMatchObject({
      rule: 'crashLoop',
      pod: 'a',
      service: 'game',
      title: 'Container main of pod a is crash-looping in feat-1',
      details: ['1 restart, CrashLoopBackOff'],
    });
  });

  it('finds islands that should run and are not Ready', () => {
    const island = (id: number, desired: any, phase: any) => ({
      id,
      service: 'battle',
      desired,
      phase,
    });
    const found = evaluate(
      input({
        rules: { ...rules, islandDown: 0 },
        islands: [
          island(1, 'running', 'Ready'),
          island(2, 'running', 'Down'),
          island(3, 'running', 'Lost'),
          island(4, 'stopped', 'Stopped'),
          island(5, 'running', 'Starting'),
        ],
      }),
    ).fire;
    expect(found.map(f => f.key)).toEqual(['island-2', 'island-3', 'island-5']);
    expect(found[0].title).toBe('Island 2 (battle) is Down in feat-1');
  });

  it('fires once per failed operation, only for recent ones, and never resolves', () => {
    const op = (id: string, status: any, agoMs: number) => ({
      id,
      type: 'deploy' as const,
      status,
      error: 'image pull failed',
      finishedAt: new Date(t0.getTime() - agoMs).toISOString(),
    });
    const operations = [
      op('op-1', 'failed', 1000),
      op('op-2', 'succeeded', 1000),
      op('op-3', 'failed', OPERATION_LOOKBACK_MS + 1000),
    ];
    const first = evaluate(input({ operations }));
    expect(first.fire).toEqual([
      expect.objectContaining({
        rule: 'operationFailed',
        key: 'op-1',
        title: 'Operation deploy failed in feat-1',
        details: ['image pull failed'],
      }),
    ]);
    const fired: AlertState = {
      rule: 'operationFailed',
      key: 'op-1',
      pendingSince: t0,
      firedAt: t0,
    };
    expect(evaluate(input({ operations, state: [fired] })).fire).toEqual([]);
    // Out of the recent list: kept (not sent again), and dropped a day later.
    expect(evaluate(input({ now: at(3600), state: [fired] }))).toEqual({
      pending: [],
      fire: [],
      resolve: [],
      forget: [],
    });
    expect(evaluate(input({ now: at(86_401), state: [fired] })).forget).toEqual(
      [fired],
    );
  });

  it('warns of an expiry within expiringWithin, once per expiry', () => {
    const expiresAt = at(20 * 60);
    const first = evaluate(input({ env: { name: 'feat-1', expiresAt } }));
    expect(first.fire).toEqual([
      expect.objectContaining({
        rule: 'expiring',
        key: expiresAt.toISOString(),
        title: 'Environment feat-1 expires in 20 minutes',
      }),
    ]);
    expect(
      evaluate(
        input({
          env: { name: 'feat-1', expiresAt: at(2 * 3600) },
        }),
      ).fire,
    ).toEqual([]);
  });

  it('ends the alerts of an environment being destroyed without a message', () => {
    const fired: AlertState = {
      rule: 'degraded',
      key: 'environment',
      pendingSince: t0,
      firedAt: t0,
    };
    const sent: AlertState = {
      rule: 'operationFailed',
      key: 'op-1',
      pendingSince: t0,
      firedAt: t0,
    };
    const d = evaluate(
      input({
        status: { phase: 'Destroying', reasons: [] },
        pods: [pod('a', { reason: 'CrashLoopBackOff' })],
        rules: { ...rules, crashLoop: 0 },
        state: [fired, sent],
      }),
    );
    // Nothing fires; the degraded alert ends; the sent operation alert is kept, not resent.
    expect(d).toEqual({ pending: [], fire: [], resolve: [], forget: [fired] });
  });

  it('drops the state of a rule turned off, without a resolved message', () => {
    const fired: AlertState = {
      rule: 'degraded',
      key: 'environment',
      pendingSince: t0,
      firedAt: t0,
    };
    const d = evaluate(
      input({
        status: { phase: 'Degraded', reasons: [] },
        rules: { ...rules, degraded: null },
        state: [fired],
      }),
    );
    expect(d).toEqual({ pending: [], fire: [], resolve: [], forget: [fired] });
  });
});

describe('evaluate, over random histories', () => {
  it('fires each episode once, after its time, and resolves only what fired', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        // Per step: seconds since the last check, and whether the environment is Degraded.
        fc.array(fc.tuple(fc.integer({ min: 1, max: 400 }), fc.boolean()), {
          minLength: 1,
          maxLength: 40,
        }),
        (degradedFor, steps) => {
          const r = { ...rules, degraded: degradedFor };
          let state: AlertState[] = [];
          let now = 0;
          let episodeStart: number | undefined;
          let firedInEpisode = 0;
          let open = false;
          const problems: string[] = [];
          const check = (ok: boolean, problem: string) => {
            if (!ok) problems.push(`${problem} at ${now}s`);
          };
          for (const [dt, broken] of steps) {
            now += dt;
            const d = evaluate(
              input({
                now: at(now),
                rules: r,
                state,
                status: broken
                  ? { phase: 'Degraded', reasons: [] }
                  : { phase: 'Ready', reasons: [] },
              }),
            );
            // Apply as AlertChecker and AlertStore do.
            for (const c of d.pending)
              state.push({ rule: c.rule, key: c.key, pendingSince: at(now) });
            state = state.filter(
              s =>
                !d.forget.some(f => f.key === s.key) &&
                !d.resolve.some(f => f.key === s.key),
            );
            for (const c of d.fire) {
              const s = state.find(x => x.key === c.key);
              if (s) s.firedAt = at(now);
              else
                state.push({
                  rule: c.rule,
                  key: c.key,
                  pendingSince: at(now),
                  firedAt: at(now),
                });
            }
            if (broken && episodeStart === undefined) {
              episodeStart = now;
              firedInEpisode = 0;
            }
            if (d.fire.length) {
              firedInEpisode += d.fire.length;
              check(broken, 'fired while healthy');
              check(
                now - episodeStart! >= degradedFor,
                'fired before degradedFor',
              );
              check(firedInEpisode === 1, 'fired twice in one episode');
              open = true;
            }
            if (d.resolve.length) {
              check(!broken, 'resolved while broken');
              check(open, 'resolved what had not fired');
              open = false;
            }
            if (!broken) {
              // A healthy check ends the episode: a fired alert resolved, a pending forgotten.
              check(state.length === 0, 'state left after a healthy check');
              episodeStart = undefined;
            }
            // Due and still broken: fired by now.
            if (broken && now - episodeStart! >= degradedFor)
              check(open, 'due and not fired');
          }
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
