/*
 * The backend benchmarks, P1 to P7 (bench/README.md), and P8's row from the browser benchmark
 * that bench/run.sh runs first. Run through `yarn bench`, which starts the benchmark cluster. Prints one table and writes it, with the raw figures, to
 * .local/bench/results.md and results.json.
 *
 *   ARCHIPELAGO_BENCH_ONLY=P1,P2     run only these rows
 *   ARCHIPELAGO_BENCH_ROUNDS=3       rounds of the alternating comparisons
 *   ARCHIPELAGO_BENCH_BURST=100      P3's environments, and P6's "many"
 *   ARCHIPELAGO_BENCH_SCALE=1000     P4's and P7's environments
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  Bench,
  createSmallEnvironments,
  destroyEnvironments,
  outDir,
  startBench,
} from './context';
import type { RowResult } from './rows/types';
import { p1 } from './rows/p1-create';
import { P2_ENVIRONMENT, p2 } from './rows/p2-read';
import { p3 } from './rows/p3-burst';
import { p4 } from './rows/p4-scale';
import { p5 } from './rows/p5-logs';
import { p6 } from './rows/p6-destroy';

const only = (process.env.ARCHIPELAGO_BENCH_ONLY ?? '')
  .split(',')
  .map(s => s.trim().toUpperCase())
  .filter(Boolean);
const wants = (id: string) => !only.length || only.includes(id);
const rounds = Number(process.env.ARCHIPELAGO_BENCH_ROUNDS ?? 3);
const burstSize = Number(process.env.ARCHIPELAGO_BENCH_BURST ?? 100);
const scale = Number(process.env.ARCHIPELAGO_BENCH_SCALE ?? 1000);

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

function table(rows: RowResult[]): string {
  const lines = [
    '| # | what | figures | anchor | target | met |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.id} | ${r.what} | ${r.figures.join('<br>')} | ${
          r.anchor ?? '—'
        } | ${r.target} | ${
          r.met === undefined ? '—' : r.met ? 'yes' : '**no**'
        } |`,
    ),
  ];
  return lines.join('\n');
}

async function main() {
  const started = new Date();
  const bench: Bench = await startBench({
    kubernetesEntities: [P2_ENVIRONMENT],
  });
  const rows: RowResult[] = [];
  const cleanup: string[] = [];
  const step = async (
    id: string,
    fn: () => Promise<void>,
    runs = wants(id),
  ) => {
    if (!runs) return;
    const t0 = Date.now();
    log(`${id} …`);
    try {
      await fn();
    } catch (e) {
      rows.push({
        id,
        what: 'failed to run',
        figures: [
          String((e as Error)?.stack ?? e)
            .split('\n')
            .slice(0, 3)
            .join(' '),
        ],
        target: '—',
        met: false,
      });
    }
    log(`${id} done in ${Math.round((Date.now() - t0) / 1000)} s`);
    // Written after every row, so a run stopped halfway keeps what it measured.
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(
      path.join(outDir, 'results.partial.md'),
      `${table(rows)}\n`,
    );
    const last = rows[rows.length - 1];
    if (last) log(`${last.id}: ${last.figures.join(' | ')}`);
  };
  const clusters = async () =>
    (await bench.api.get('/clusters')).body.items[0] as {
      maxRequestsInFlight: number;
      cachedObjects: number;
    };
  const cap = (await clusters()).maxRequestsInFlight;
  try {
    await step('P1', async () => {
      rows.push(await p1(bench, rounds));
    });
    let p2Made = false;
    await step('P2', async () => {
      p2Made = true;
      rows.push(await p2(bench, 100));
    });
    await step('P5', async () => {
      if (!p2Made) {
        p2Made = true;
        await p2(bench, 1);
      }
      rows.push(await p5(bench, P2_ENVIRONMENT, rounds));
    });
    if (p2Made) cleanup.push(P2_ENVIRONMENT);
    let burst: string[] = [];
    await step('P3', async () => {
      const r = await p3(bench, burstSize, cap);
      rows.push(r.row);
      burst = r.created;
    });
    await step('P6', async () => {
      // "Many at once" are P3's environments; run without P3, P6 makes as many of its own.
      let many = burst.filter(n => !n.includes('never')).slice(0, burstSize);
      if (!many.length) {
        many = await createSmallEnvironments(bench, 'p6-many', burstSize);
        burst.push(...many);
      }
      rows.push(await p6(bench, rounds, many));
      burst = burst.filter(n => !many.includes(n));
    });
    cleanup.push(...burst);
    // P7 runs on P4's environments, so asking for either runs both, and prints what was asked.
    await step(
      wants('P4') ? 'P4' : 'P7',
      async () => {
        if (cleanup.length) await destroyEnvironments(bench, cleanup.splice(0));
        const cached = async () => (await clusters()).cachedObjects;
        const r = await p4(bench, scale, cached);
        rows.push(...r.rows.filter(row => wants(row.id)));
        cleanup.push(...r.created);
      },
      wants('P4') || wants('P7'),
    );
  } finally {
    if (cleanup.length) {
      log(`destroying ${cleanup.length} benchmark environment(s)`);
      await destroyEnvironments(bench, cleanup).catch(e => log(String(e)));
    }
    await bench.stop();
  }
  // P8 ran in the browser before these rows (bench/run.sh), and left its row in a file.
  if (wants('P8')) {
    const file = path.join(outDir, 'p8.json');
    rows.push(
      fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RowResult)
        : {
            id: 'P8',
            what: 'failed to run',
            figures: [
              'bench/environments-ui.bench.ts left no .local/bench/p8.json (see its output above)',
            ],
            target: '< 1 s',
            met: false,
          },
    );
  }
  rows.sort((a, b) => a.id.localeCompare(b.id));
  const md = table(rows);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'results.json'),
    JSON.stringify({ started, finished: new Date(), rounds, rows }, null, 2),
  );
  fs.writeFileSync(path.join(outDir, 'results.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n`);
  // A row that could not run fails the command (a target not met does not: these are figures).
  const broken = rows.filter(r => r.what === 'failed to run').map(r => r.id);
  if (broken.length) log(`${broken.join(', ')} failed to run (see the table)`);
  return broken.length ? 1 : 0;
}

main().then(
  code => process.exit(code),
  e => {
    process.stderr.write(`${String(e?.stack ?? e)}\n`);
    process.exit(1);
  },
);
