/*
 * Fake time with a real process (issue #12). kwok runs no containers, so this runs `date` and
 * a small long-running program on this machine with Debian's libfaketime (packages libfaketime
 * and faketime, installed by scripts/test.sh), under exactly the environment the island
 * driver renders, reading the clock file as its ConfigMap holds it. The one change: the file
 * lives in a temporary directory instead of the Pod's /etc/archipelago/clock.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Clock } from '@archipelago/plugin-environments-common';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import { CLOCK_FILE } from '../workloads/island';

jest.setTimeout(60_000);

const spec = {
  name: 'clock',
  owner: 'group:default/qa',
  purpose: 'sandbox',
  services: [{ name: 'altraserver' }],
};

/** What the driver renders for island 1 with this clock: the Pod's env and the clock file. */
function rendered(clock?: Clock) {
  const objects = renderEnvironment(
    renderInput(spec, {
      islands: [
        {
          id: 1,
          service: 'altraserver',
          ports: {
            'app-common-port': 7000,
            'remote-msg-port': 7001,
            'server-port': 7002,
          },
          desired: 'running',
          launch: 1,
          launched: 0,
          ...(clock ? { clock } : {}),
        },
      ],
    }),
  ) as any[];
  const pod = objects.find(o => o.kind === 'Pod');
  const clocks = objects.find(o => o.metadata.name === 'altraserver-islands');
  const env: Record<string, string> = {};
  for (const e of pod.spec.containers[0].env)
    if (typeof e.value === 'string') env[e.name] = e.value;
  return { env, file: clocks.data['1'] as string };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archipelago-faketime-'));
const file = path.join(dir, 'faketime');
const processEnv = (env: Record<string, string>) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  TZ: 'UTC',
  ...env,
  FAKETIME_TIMESTAMP_FILE: file,
});

describe('libfaketime under the rendered environment', () => {
  const { env } = rendered();

  it('has Debian’s libfaketime where the driver preloads it', () => {
    expect(env.FAKETIME_TIMESTAMP_FILE).toBe(CLOCK_FILE);
    expect(fs.existsSync(env.LD_PRELOAD)).toBe(true);
  });

  it('makes date report a start that then runs, and an offset', async () => {
    fs.writeFileSync(file, rendered({ start: '2021-09-18 23:30:07' }).file);
    const { stdout } = await promisify(execFile)(
      'date',
      ['+%Y-%m-%d %H:%M:%S'],
      {
        env: processEnv(env),
      },
    );
    expect(stdout.trim()).toMatch(/^2021-09-18 23:30:0[7-9]$/);
    fs.writeFileSync(file, rendered({ offset: '+3d' }).file);
    const shifted = await promisify(execFile)('date', ['+%s'], {
      env: processEnv(env),
    });
    const diff = Number(shifted.stdout.trim()) - Date.now() / 1000;
    expect(Math.abs(diff - 3 * 86400)).toBeLessThan(5);
  });

  it('follows a change of the file in a running program, within seconds', async () => {
    fs.writeFileSync(file, rendered().file);
    // A small program that keeps running and prints the time it reads twice a second.
    const child = spawn(
      'perl',
      [
        '-e',
        '$|=1; while (1) { print time(), "\\n"; select(undef, undef, undef, 0.5) }',
      ],
      { env: processEnv(env) },
    );
    const seen: number[] = [];
    child.stdout.on('data', (d: Buffer) =>
      seen.push(...d.toString().trim().split('\n').map(Number)),
    );
    const waitFor = async (test: (t: number) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (seen.length && test(seen[seen.length - 1]))
          return seen[seen.length - 1];
        await new Promise(r => setTimeout(r, 100));
      }
      throw new Error(
        `the program never read the expected time; it read ${seen.slice(-3)}`,
      );
    };
    try {
      const now = () => Date.now() / 1000;
      // Real time first.
      expect(
        Math.abs((await waitFor(t => Math.abs(t - now()) < 3, 5000)) - now()),
      ).toBeLessThan(3);
      // The clock moves to a start in 2021: the running program reads it within seconds.
      fs.writeFileSync(file, rendered({ start: '2021-09-18 23:30:07' }).file);
      const start = Date.UTC(2021, 8, 18, 23, 30, 7) / 1000;
      const t1 = await waitFor(t => t >= start && t < start + 10, 5000);
      expect(t1 - start).toBeLessThan(10);
      // It runs from there.
      expect(await waitFor(t => t > t1, 3000)).toBeGreaterThan(t1);
      // And to an offset.
      fs.writeFileSync(file, rendered({ offset: '+3d' }).file);
      const t2 = await waitFor(t => Math.abs(t - now() - 3 * 86400) < 5, 5000);
      expect(Math.abs(t2 - now() - 3 * 86400)).toBeLessThan(5);
    } finally {
      child.kill();
    }
  });
});
