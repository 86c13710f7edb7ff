import { Agent, request } from 'node:http';

export interface LoadReport {
  requests: number;
  failed: number;
  /** Status code (or error code) → count, for everything that was not a 2xx. */
  failures: Record<string, number>;
  p50: number;
  p99: number;
}

/**
 * A steady stream of GETs through Varnish with a Host header, `concurrency` at a time, until
 * stopped (or `maxMs`, so it always ends). Only loopback is a target.
 */
export function startLoad(port: number, host: string, opts: { concurrency?: number; maxMs?: number } = {}): { stop(): Promise<LoadReport> } {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency ?? 4 });
  const deadline = Date.now() + (opts.maxMs ?? 600_000);
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let stopped = false;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = process.hrtime.bigint();
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (!res.statusCode || res.statusCode >= 300) failures[String(res.statusCode)] = (failures[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        failures[err.code ?? err.message] = (failures[err.code ?? err.message] ?? 0) + 1;
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        resolve();
      });
      req.end();
    });
  const loop = async () => {
    while (!stopped && Date.now() < deadline) await one();
  };
  const loops = Array.from({ length: opts.concurrency ?? 4 }, loop);
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { requests: latencies.length, failed: Object.values(failures).reduce((a, b) => a + b, 0), failures, p50: at(0.5), p99: at(0.99) };
    },
  };
}
