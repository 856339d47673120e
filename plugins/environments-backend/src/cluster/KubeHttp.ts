/*
 * JSON over HTTPS to the API server, with the cluster's credentials. Writes send the exact
 * JSON we rendered: client-node's typed APIs serialise through models that silently drop
 * fields whose TypeScript names differ (`from` in a NetworkPolicy rule becomes `_from` and is
 * lost), so the cluster would store something looser than what was meant.
 */
import https from 'node:https';
import tls from 'node:tls';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from '../errors';

export interface KubeRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Caps the requests a backend has in flight to one cluster at once: a burst of operations
 * (100 environments asked for together) queues here instead of flooding the API server.
 * Watches and log streams are long-lived and do not take a slot.
 */
export class RequestLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The most requests that were in flight at once, for benchmarks and health. */
  peak = 0;

  constructor(readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max)
      await new Promise<void>(resolve => this.waiting.push(resolve));
    else this.active++;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; active stays as it is.
      if (next) next();
      else this.active--;
    }
  }
}

export class KubeHttp {
  private options?: { at: number; value: https.RequestOptions };

  constructor(
    private readonly kc: KubeConfig,
    private readonly limiter?: RequestLimiter,
  ) {}

  private async requestOptions(): Promise<https.RequestOptions> {
    // Credentials and TLS settings are read once a minute. Connections are not kept alive
    // between requests: a request after a stall (a relist, say) must not wait on a socket
    // that stalled with it.
    if (this.options && Date.now() - this.options.at < 60_000)
      return this.options.value;
    const value: https.RequestOptions & { secureContext?: tls.SecureContext } =
      { headers: {} };
    await this.kc.applyToHTTPSOptions(value as any);
    // One TLS context (the CA, the client certificate) for every connection of the minute:
    // without it each connection builds its own, parsing the certificates again, which cost
    // more CPU than the request and left the allocator fragmented (P4's RSS).
    const { ca, cert, key, pfx, passphrase } = value;
    value.secureContext = tls.createSecureContext({
      ca,
      cert,
      key,
      pfx,
      passphrase,
    });
    this.options = { at: Date.now(), value };
    return value;
  }

  request<T = any>(
    method: string,
    path: string,
    req: KubeRequest = {},
  ): Promise<T> {
    return this.limiter
      ? this.limiter.run(() => this.send<T>(method, path, req))
      : this.send<T>(method, path, req);
  }

  private async send<T>(
    method: string,
    path: string,
    req: KubeRequest,
  ): Promise<T> {
    req.signal?.throwIfAborted();
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const base = await this.requestOptions();
    const body =
      req.body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      Accept: 'application/json',
    };
    if (body) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const r = lib.request(
        url,
        {
          ...base,
          method,
          headers,
          signal: req.signal,
          timeout: req.timeoutMs ?? 30_000,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: any;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve(json as T);
            else reject(new KubeApiError(code, method, path, json, text));
          });
        },
      );
      r.on('timeout', () =>
        r.destroy(new Error(`${method} ${path} timed out (ETIMEDOUT)`)),
      );
      r.on('error', reject);
      if (body) r.write(body);
      r.end();
    });
  }
}
