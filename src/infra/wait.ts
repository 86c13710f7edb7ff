import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Readiness as named wait strategies: each failure message names what was awaited and the limit. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined>, opts: { timeoutMs: number; intervalMs?: number }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${what} not ready after ${opts.timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** GET `url` with a Host header, as a browser behind Varnish would. Never throws for HTTP statuses. */
export async function httpGet(url: string, host?: string, timeoutMs = 10_000, signal?: AbortSignal): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {}, timeout: timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} (Host: ${host}) timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET `/` through the TLS terminator on `port` with SNI and Host `domain`. It checks the route and
 * the page of a site that redirects HTTP to HTTPS; whether its certificate is trusted is the ACME
 * step's business (and a staging CA's root is not in the system store), so it is not verified here.
 */
export async function httpsGetThroughTerminator(port: number, domain: string, path = '/', timeoutMs = 10_000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: domain, headers: { host: domain }, rejectUnauthorized: false, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET https://${domain}:${port}/ timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
