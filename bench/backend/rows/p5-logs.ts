/*
 * P5: a pod's log through the backend: the time to its first line, and, while it is followed,
 * the time from a line being written (into the file kwok serves every container's log from)
 * until it reaches the follower. The proxy shows whether the backend streams or polls.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Bench, median, percentile, root, sleep } from '../context';
import type { RowResult } from './types';

export async function p5(
  bench: Bench,
  environment: string,
  rounds: number,
): Promise<RowResult> {
  const pods = (await bench.api.get(`/environments/${environment}/pods`)).body
    .items;
  const pod = pods[0].name;
  const url = `${bench.baseUrl}/environments/${environment}/pods/${pod}/logs`;
  const headers = { Authorization: bench.auth };
  const first: number[] = [];
  for (let r = 0; r < rounds * 3; r++) {
    const t0 = performance.now();
    const res = await fetch(`${url}?tailLines=10`, { headers });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    first.push(performance.now() - t0);
    await reader.cancel();
    if (!value?.length) throw new Error('the log had no line');
  }
  const logFile = path.join(
    root,
    `.local/clusters/${
      process.env.ARCHIPELAGO_BENCH_CLUSTER ?? 'bench'
    }/logs/containers.log`,
  );
  const abort = new AbortController();
  const from = bench.proxy.seen.length;
  const res = await fetch(`${url}?follow=true&tailLines=1`, {
    headers,
    signal: abort.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const waits: number[] = [];
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader
        .read()
        .catch(() => ({ done: true, value: undefined }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  await sleep(500);
  for (let r = 0; r < rounds * 3; r++) {
    const marker = `bench-marker-${Date.now()}-${r}`;
    const t0 = performance.now();
    fs.appendFileSync(
      logFile,
      `${new Date().toISOString()} stdout F ${marker} n=${r} m=0\n`,
    );
    while (!text.includes(marker)) {
      if (performance.now() - t0 > 10_000)
        throw new Error('a followed line never came');
      await sleep(2);
    }
    waits.push(performance.now() - t0);
    await sleep(200);
  }
  abort.abort();
  await pump;
  const logRequests = bench.proxy.seen
    .slice(from)
    .filter(s => /\/log\b/.test(s.url));
  const streamed =
    logRequests.length === 1 && /follow=true/.test(logRequests[0].url);
  return {
    id: 'P5',
    what: 'logs: first line; follow',
    figures: [
      `first line p50 ${median(first).toFixed(0)} ms, p95 ${percentile(
        first,
        95,
      ).toFixed(0)} ms`,
      `followed line after p50 ${median(waits).toFixed(0)} ms, p95 ${percentile(
        waits,
        95,
      ).toFixed(0)} ms; ${
        logRequests.length
      } log request(s) to the API server while following (${
        streamed ? 'one stream' : 'polled'
      })`,
    ],
    target: 'first line < 300 ms at p95; streamed, not polled',
    met: percentile(first, 95) < 300 && streamed,
    notes: ["A followed line's latency includes kwok noticing the file grew."],
  };
}
