import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Logger } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { sitePrefix } from '../src/backup/layout';
import { boundedAll } from '../src/backup/report';
import type { TuttiConfig } from '../src/config';
import type { BackupBucket } from '../src/infra/backupStore';
import type { Db } from '../src/infra/mariadb';
import { waitUntil } from '../src/infra/wait';
import { BackupMetrics } from '../src/worker/metrics';
import { find, freePort, scrape } from '../test/helpers/prometheus';
import { WorkerProcess } from '../test/helpers/workerProcess';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
export const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsedMs = (from: number) => performance.now() - from;

/** Waits until `address` serves `tutti_backup_missing 0` for every slug: the gauges are there and right. */
export async function gaugesShowBackups(address: string, slugs: string[]): Promise<void> {
  await waitUntil(
    `tutti_backup_missing 0 for ${slugs.length} sites on ${address}`,
    async () => {
      const { samples } = await scrape(address);
      return slugs.every((site) => find(samples, 'tutti_backup_missing', { site })[0]?.value === 0) ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 1_000 },
  );
}

export interface IdleWindow {
  metrics: boolean;
  /** Median of VmRSS sampled every second over the window, and VmHWM over it (MB). */
  rssMb: number;
  peakMb: number;
  cpuSeconds: number;
  load: number;
}

/**
 * Figure 1, one side: a fresh worker process (metrics on a free port refreshing every
 * `refreshSeconds`, or TUTTI_METRICS_ADDRESS=off), left alone for `settleSeconds`, then measured
 * for `windowSeconds`. The worker is returned running; the caller stops it.
 */
export async function idleWindow(cfg: TuttiConfig, slugs: string[], o: { metrics: boolean; refreshSeconds: number; settleSeconds: number; windowSeconds: number }): Promise<{ window: IdleWindow; worker: WorkerProcess; address?: string }> {
  const address = o.metrics ? `127.0.0.1:${await freePort()}` : undefined;
  const env = { ...process.env, TUTTI_METRICS_ADDRESS: address ?? 'off', TUTTI_METRICS_REFRESH_SECONDS: String(o.refreshSeconds) };
  const worker = new WorkerProcess(cfg, `bench-metrics-${o.metrics ? 'on' : 'off'}`, env);
  await worker.start();
  if (address) await gaugesShowBackups(address, slugs);
  await sleep(o.settleSeconds * 1000);
  worker.resetPeak();
  const cpu = worker.cpuSeconds();
  const rss: number[] = [];
  for (let s = 0; s < o.windowSeconds; s++) {
    rss.push(worker.rssKb() / 1024);
    await sleep(1000);
  }
  const window = { metrics: o.metrics, rssMb: median(rss), peakMb: worker.peakRssKb() / 1024, cpuSeconds: worker.cpuSeconds() - cpu, load: loadavg()[0]! };
  return { window, worker, address };
}

export interface Timings {
  tutti: number[];
  baseline: number[];
}

/**
 * Figure 2: BackupMetrics.refresh() in this process against the slot's MariaDB and MinIO, and
 * the baseline of one bare ListObjectsV2 per site on the same prefixes, 4 at a time as the
 * refresh does. Alternated, who goes first swapped each round; one warm-up pair not counted.
 */
export async function refreshVsList(cfg: TuttiConfig, db: Db, bucket: BackupBucket, slugs: string[], rounds: number): Promise<Timings> {
  const warnings: string[] = [];
  const warn = (message: string, meta?: unknown) => warnings.push(`${message} ${JSON.stringify(meta)}`);
  const logger: Logger = { log: (level, m, meta) => (level === 'WARN' || level === 'ERROR' ? warn(m, meta) : undefined), trace: () => undefined, debug: () => undefined, info: () => undefined, warn, error: warn };
  const metrics = new BackupMetrics({ meter: Runtime.instance().metricMeter, logger, db: () => db, bucket: () => bucket, s3Prefix: cfg.s3.prefix, hostName: cfg.hostName, refreshSeconds: 60 });
  const refresh = async () => {
    const t = performance.now();
    await metrics.refresh();
    if (warnings.length) throw new Error(`BackupMetrics.refresh() failed: ${warnings[0]}`);
    return elapsedMs(t);
  };
  const list = async () => {
    const t = performance.now();
    const results = await boundedAll(slugs, 4, (slug) => bucket.s3.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: sitePrefix(cfg.s3.prefix, slug) })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new Error(`ListObjectsV2 failed: ${String(failed.reason)}`);
    return elapsedMs(t);
  };
  const out: Timings = { tutti: [], baseline: [] };
  for (let i = 0; i <= rounds; i++) {
    const [a, b] = i % 2 ? [await list(), await refresh()] : [await refresh(), await list()];
    const [t, l] = i % 2 ? [b, a] : [a, b];
    if (i === 0) continue;
    out.tutti.push(t);
    out.baseline.push(l);
  }
  return out;
}

/**
 * Figure 3: GET /metrics of the worker against GET / of a trivial node http server in this
 * process, `count` of each alternated after 5 warm-ups each; each time includes reading the body.
 */
export async function scrapeVsTrivial(address: string, count: number): Promise<Timings & { metricsBytes: number; series: number }> {
  const server = createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const trivial = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const get = async (url: string) => {
    const t = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    const ms = elapsedMs(t);
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
    return { ms, body };
  };
  try {
    const out: Timings = { tutti: [], baseline: [] };
    let body = '';
    for (let i = 0; i < count + 5; i++) {
      const trivialBefore = i % 2 ? await get(trivial) : undefined;
      const m = await get(`http://${address}/metrics`);
      const t = trivialBefore ?? (await get(trivial));
      body = m.body;
      if (i < 5) continue;
      out.tutti.push(m.ms);
      out.baseline.push(t.ms);
    }
    return { ...out, metricsBytes: Buffer.byteLength(body), series: body.split('\n').filter((l) => l && !l.startsWith('#')).length };
  } finally {
    server.close();
  }
}
