/*
 * Game-server islands (seed 002): the settings of an island service, its clock, and the
 * placeholders of its command template. An island is one bare Pod with an id of its own and a
 * block of host ports from the cluster's island range.
 */
import { z } from 'zod';
import { LIMITS, absolutePath, portName } from './primitives';

/** Most islands one request may add, and one service may hold. */
export const ISLAND_LIMITS = { perRequest: 20, perService: 100, ports: 8 };

/** Debian's libfaketime (package libfaketime), preloaded unless the definition names another. */
export const DEFAULT_FAKETIME_LIBRARY =
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

const START = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * A clock: real time ({}), a start that then runs ({start: "2021-09-18 23:30:07"}), or an
 * offset from real time ({offset: "+3d"}; units s, m, h, d, y; seconds without one).
 */
export const clockSchema = z
  .object({
    start: z
      .string()
      .regex(START, 'must be a time as "YYYY-MM-DD hh:mm:ss"')
      .refine(s => {
        const m = START.exec(s);
        if (!m) return true;
        const d = new Date(
          Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]),
        );
        return (
          d.getUTCFullYear() === +m[1] &&
          d.getUTCMonth() === +m[2] - 1 &&
          d.getUTCDate() === +m[3] &&
          +m[4] < 24 &&
          +m[5] < 60 &&
          +m[6] < 60 &&
          +m[1] >= 1970
        );
      }, 'is not a valid date and time (from 1970 on)')
      .optional(),
    offset: z
      .string()
      .regex(
        /^[+-]\d{1,9}[smhdy]?$/,
        'must be an offset such as "+3d", "-2h" or "+90" (seconds); units s, m, h, d, y',
      )
      .optional(),
  })
  .strict()
  .refine(c => !(c.start && c.offset), 'takes start or offset, not both');
export type Clock = z.infer<typeof clockSchema>;

/** What libfaketime reads from FAKETIME_TIMESTAMP_FILE for a clock. */
export function faketimeSpec(clock: Clock | undefined): string {
  if (clock?.start) return `@${clock.start}`;
  if (clock?.offset) return clock.offset;
  return '+0';
}

/** A clock in words, for views and messages. */
export function describeClock(clock: Clock | undefined): string {
  if (clock?.start) return `starts at ${clock.start}, then runs`;
  if (clock?.offset) return `real time ${clock.offset}`;
  return 'real time';
}

const OFFSET_UNITS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  y: 365 * 86400,
};

/**
 * The fake time a process with this clock reads at `now`. A start runs from when the process
 * read it (`since`: the later of its container's start and the clock's change).
 */
export function fakeNow(
  clock: Clock | undefined,
  now: Date,
  since?: Date,
): Date {
  if (clock?.offset) {
    const m = /^([+-])(\d+)([smhdy]?)$/.exec(clock.offset)!;
    const secs = Number(m[2]) * OFFSET_UNITS[m[3] || 's'];
    return new Date(now.getTime() + (m[1] === '-' ? -secs : secs) * 1000);
  }
  if (clock?.start) {
    const m = START.exec(clock.start)!;
    const start = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return new Date(
      start + Math.max(0, now.getTime() - (since ?? now).getTime()),
    );
  }
  return now;
}

/** {{id}}, {{port:NAME}} and {{clock}} (the start, or empty) in a command template. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** The problems of a command template's placeholders, by argument index. */
export function templateProblems(
  command: string[],
  ports: string[],
): Array<{ index: number; message: string }> {
  const out: Array<{ index: number; message: string }> = [];
  command.forEach((arg, index) => {
    for (const m of arg.matchAll(PLACEHOLDER)) {
      const p = m[1];
      if (p === 'id' || p === 'clock') continue;
      const port = /^port:(.+)$/.exec(p);
      if (port && ports.includes(port[1])) continue;
      out.push({
        index,
        message: port
          ? `"{{${p}}}" names no port of island.ports (${ports.join(', ')})`
          : `"{{${p}}}" is not a placeholder: use {{id}}, {{port:NAME}} or {{clock}}`,
      });
    }
  });
  return out;
}

/** A command template filled in for one island. */
export function fillTemplate(
  command: string[],
  island: { id: number; ports: Record<string, number>; clock?: Clock },
): string[] {
  return command.map(arg =>
    arg.replace(PLACEHOLDER, (_all, p: string) => {
      if (p === 'id') return String(island.id);
      if (p === 'clock') return island.clock?.start ?? '';
      const port = /^port:(.+)$/.exec(p);
      return port ? String(island.ports[port[1]] ?? '') : '';
    }),
  );
}

/** The environment variable that carries a named port: "server-port" → SERVER_PORT. */
export const portVariable = (name: string) =>
  name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/** The variables every island's container gets from Archipelago, for these port names. */
export const islandVariables = (ports: string[]) => [
  'ISLAND_ID',
  'HOST_IP',
  'LD_PRELOAD',
  'FAKETIME_TIMESTAMP_FILE',
  'FAKETIME_CACHE_DURATION',
  'FAKETIME_DONT_RESET',
  'FAKETIME_DONT_FAKE_MONOTONIC',
  ...ports.map(portVariable),
];

/** The island settings of a service: in its definition, and partly in a request. */
export const islandSettingsSchema = z
  .object({
    /** Islands started with the environment (more are added by operations). */
    count: z.number().int().min(0).max(ISLAND_LIMITS.perRequest).optional(),
    /** Names of the ports each island gets a number for, from the cluster's island range. */
    ports: z
      .array(portName)
      .min(1, 'must name at least one port')
      .max(ISLAND_LIMITS.ports)
      .optional(),
    /** The port a TCP readiness probe checks; default the last of ports. */
    readinessPort: portName.optional(),
    /** The command, with {{id}}, {{port:NAME}} and {{clock}} filled in per island. */
    command: z
      .array(z.string().max(4096))
      .min(1)
      .max(LIMITS.commandArgs)
      .optional(),
    /** Where the image keeps libfaketime (default: Debian's path). */
    faketimeLibrary: absolutePath.optional(),
    /** The clock of this service's islands, unless the environment's or an island's says. */
    clock: clockSchema.optional(),
  })
  .strict();
export type IslandSettings = z.infer<typeof islandSettingsSchema>;

/** A resolved island service's settings. */
export interface ResolvedIslands {
  count: number;
  ports: string[];
  readinessPort: string;
  command?: string[];
  faketimeLibrary: string;
  clock?: Clock;
}
