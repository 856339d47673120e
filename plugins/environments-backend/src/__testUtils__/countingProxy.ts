/*
 * An HTTPS proxy in front of the test cluster's API server that records every request it
 * passes on: tests and benchmarks count what a view or an operation asked of the API server.
 * It holds no credentials of its own: the caller's token goes through unchanged.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SeenRequest {
  method: string;
  url: string;
  /** A watch (`?watch=true`): long-lived, not a request a view waits on. */
  watch: boolean;
  at: number;
  /** The caller's User-Agent, which tells Archipelago from other clients. */
  agent: string;
}

export async function countingProxy(upstreamCluster: {
  url: string;
  caData: string;
}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archipelago-proxy-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
  const key = fs.readFileSync(path.join(dir, 'key.pem'));
  fs.rmSync(dir, { recursive: true, force: true });
  const upstream = new URL(upstreamCluster.url);
  const ca = Buffer.from(upstreamCluster.caData, 'base64');
  const seen: SeenRequest[] = [];
  /** Requests for pod logs that are still open. */
  const openLogs = new Set<object>();
  /** Non-watch requests under way now, and the most there ever were at once. */
  const inFlight = { now: 0, max: 0 };
  const agent = new https.Agent({ keepAlive: true, maxSockets: 256, ca });
  const server = https.createServer({ key, cert }, (req, res) => {
    const url = req.url ?? '';
    const watch = /[?&]watch=(true|1)\b/.test(url);
    if (/\/pods\/[^/]+\/log\b/.test(url)) {
      const token = {};
      openLogs.add(token);
      res.on('close', () => openLogs.delete(token));
    }
    seen.push({
      method: req.method ?? '',
      url,
      watch,
      at: Date.now(),
      agent: String(req.headers['user-agent'] ?? ''),
    });
    let counted = !watch;
    if (counted) {
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
    }
    const done = () => {
      if (counted) inFlight.now--;
      counted = false;
    };
    const up = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', done);
      },
    );
    up.on('error', () => {
      done();
      res.destroy();
    });
    res.on('close', () => {
      done();
      up.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caData: cert.toString('base64'),
    seen,
    openLogs,
    inFlight,
    close: () => {
      server.closeAllConnections();
      server.close();
      agent.destroy();
    },
  };
}
