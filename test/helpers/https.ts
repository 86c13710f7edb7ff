import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { promisify } from 'node:util';
import type { TuttiConfig } from '../../src/config';

const run = promisify(execFile);

/** `curl --cacert <pebble root> https://<domain>:<port>/`, the domain resolved to 127.0.0.1: status and body. */
export async function curlHttps(cfg: TuttiConfig, caFile: string, domain: string): Promise<{ status: number; body: string }> {
  const port = cfg.tls.httpsPort;
  const { stdout } = await run('curl', ['-sS', '-m', '20', '--cacert', caFile, '--resolve', `${domain}:${port}:127.0.0.1`, '-w', '\n%{http_code}', `https://${domain}:${port}/`], { maxBuffer: 16 << 20 });
  const at = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Serial of the certificate the terminator presented. */
  serial: string;
}

/** One GET over a new TLS connection to the terminator, with SNI and Host `domain`, trusting only `ca`. */
export function httpsGet(port: number, domain: string, ca: string, timeoutMs = 20_000): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', servername: domain, headers: { host: domain }, ca, agent: false, timeout: timeoutMs }, (res) => {
      const serial = res.socket && 'getPeerCertificate' in res.socket ? (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber : '';
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), serial }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * `concurrency` clients requesting `/` over HTTPS without pause, each request on a new TLS
 * connection (so every request is a handshake), until stopped. Counts answers that are not 200
 * and errors — a failed handshake is one (its code, e.g. ERR_SSL_…, ECONNRESET) — and the
 * serials of the certificates seen.
 */
export function startHttpsLoad(port: number, domain: string, ca: string, concurrency = 4) {
  const failures: Record<string, number> = {};
  const serials = new Set<string>();
  let requests = 0;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      try {
        const r = await httpsGet(port, domain, ca);
        serials.add(r.serial);
        if (r.status !== 200) failures[String(r.status)] = (failures[String(r.status)] ?? 0) + 1;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        failures[code] = (failures[code] ?? 0) + 1;
      }
      requests++;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return { requests, failed: Object.values(failures).reduce((a, b) => a + b, 0), failures, serials };
    },
  };
}

/** Pebble's DNS server answers `domain` with `address` (127.0.0.2: nothing listens there, so HTTP-01 fails), or again the default with `clear`. */
export async function pebbleDns(cfg: TuttiConfig, action: 'add-a' | 'clear-a', domain: string, address = '127.0.0.2'): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${cfg.tls.pebble.dnsManagementPort}/${action}`, { method: 'POST', body: JSON.stringify(action === 'add-a' ? { host: domain, addresses: [address] } : { host: domain }) });
  if (res.status !== 200) throw new Error(`pebble-challtestsrv ${action} ${domain}: HTTP ${res.status}`);
}

/** A plain-HTTP GET to Varnish with a Host header (fetch cannot set one) and any other headers. */
export function httpGetWithHeaders(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
