import { cpus, loadavg } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { connectHostDb } from '../src/infra/mariadb';
import { testBucket } from '../test/helpers/backupHelpers';
import { testClient } from '../test/helpers/platform';
import { freePort } from '../test/helpers/prometheus';
import { WorkerProcess } from '../test/helpers/workerProcess';
import { gaugesShowBackups, idleWindow, median, quantile, refreshVsList, scrapeVsTrivial, type IdleWindow } from './metricsFigures';
import { createBackedUpSites } from './metricsSites';

/**
 * bench/metrics: what the worker's Prometheus metrics cost. An idle worker with metrics on
 * against the same worker with TUTTI_METRICS_ADDRESS=off; one refresh of the backup gauges
 * against bare S3 listings; a scrape against a trivial HTTP server. See bench/README.md.
 */

const SETTLE_SECONDS = 15;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got ${process.argv[i + 1]})`);
  return v;
}

const say = (line: string) => process.stdout.write(line + '\n');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(8);
const row = (label: string, on: string, base: string, r: string, note: string) => say(`  ${label.padEnd(46)} ${on.padStart(11)} ${base.padStart(11)} ${r} ${note}`);

/** Windows in ABBA order ending with metrics on, so both sides share the machine's drift and the last worker can be scraped. */
function windowOrder(pairs: number): boolean[] {
  const order: boolean[] = [];
  for (let i = 0; i < pairs; i++) order.push(...((pairs - i) % 2 ? [false, true] : [true, false]));
  return order;
}

async function main(): Promise<void> {
  const sites = option('sites', 10);
  const windowSeconds = option('window', 60);
  const refreshSeconds = option('refresh', 5);
  const pairs = option('pairs', 2);
  const scrapes = option('scrapes', 50);
  const rounds = option('rounds', 20);
  if (refreshSeconds < 5) throw new Error(`--refresh must be at least 5 (TUTTI_METRICS_REFRESH_SECONDS's minimum), got ${refreshSeconds}`);
  const cfg = loadConfig(process.env);
  // A real metric meter in this process too, so figure 2's gauges are set as the worker sets them.
  const own = `127.0.0.1:${await freePort()}`;
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { metrics: { prometheus: { bindAddress: own } } } });
  const client = await testClient(cfg);
  const db = connectHostDb(cfg);
  const bucket = testBucket(cfg);
  let worker: WorkerProcess | undefined;
  try {
    say(`bench/metrics: ${sites} sites, gauges refreshed every ${refreshSeconds} s, ${pairs} pairs of ${windowSeconds} s idle windows`);
    // The sites are made with a worker of their own, so the measured ones start fresh.
    worker = new WorkerProcess(cfg, 'bench-metrics-setup');
    await worker.start();
    const slugs = await createBackedUpSites(client, cfg, db, sites, say);
    await worker.stop();

    const windows: IdleWindow[] = [];
    let address: string | undefined;
    const order = windowOrder(pairs);
    for (const [i, metrics] of order.entries()) {
      say(`  idle window, metrics ${metrics ? 'on' : 'off'}: worker start, ${SETTLE_SECONDS} s settling, ${windowSeconds} s measured`);
      const w = await idleWindow(cfg, slugs, { metrics, refreshSeconds, settleSeconds: SETTLE_SECONDS, windowSeconds });
      worker = w.worker;
      windows.push(w.window);
      address = w.address;
      // One worker at a time; the last (metrics on) stays up to be scraped.
      if (i < order.length - 1) await worker.stop();
    }

    say(`  ${scrapes} scrapes of the last worker's /metrics, alternated with GETs to a trivial server`);
    const scraped = await scrapeVsTrivial(address!, scrapes);
    await worker.stop();
    say(`  ${rounds} refreshes of the gauges in this process, alternated with ${sites} ListObjectsV2 each`);
    const refreshed = await refreshVsList(cfg, db, bucket, slugs, rounds);
    await gaugesShowBackups(own, slugs);

    const side = (metrics: boolean, f: (w: IdleWindow) => number) => median(windows.filter((w) => w.metrics === metrics).map(f));
    const [rssOn, rssOff] = [side(true, (w) => w.rssMb), side(false, (w) => w.rssMb)];
    const [cpuOn, cpuOff] = [side(true, (w) => w.cpuSeconds), side(false, (w) => w.cpuSeconds)];
    const ms = (xs: number[]) => `${median(xs).toFixed(1)} ms`;
    say(`\n  ${'figure'.padEnd(46)} ${'metrics'.padStart(11)} ${'baseline'.padStart(11)} ${'ratio'.padStart(8)} baseline is`);
    row('1 worker RSS, median over the window', `${rssOn.toFixed(1)} MB`, `${rssOff.toFixed(1)} MB`, ratio(rssOn, rssOff), 'the same worker, TUTTI_METRICS_ADDRESS=off');
    row(`1 worker CPU over ${windowSeconds} s idle`, `${cpuOn.toFixed(2)} s`, `${cpuOff.toFixed(2)} s`, ratio(cpuOn, cpuOff), 'the same worker, TUTTI_METRICS_ADDRESS=off');
    row(`2 one refresh of the gauges, ${sites} sites`, ms(refreshed.tutti), ms(refreshed.baseline), ratio(median(refreshed.tutti), median(refreshed.baseline)), `${sites} bare ListObjectsV2, 4 at a time (medians of ${rounds})`);
    row('3 GET /metrics', ms(scraped.tutti), ms(scraped.baseline), ratio(median(scraped.tutti), median(scraped.baseline)), `GET / of a trivial node http server (medians of ${scrapes})`);

    say('\n  idle windows (in order): metrics, VmRSS median → VmHWM, CPU seconds, 1-minute load at the end');
    for (const w of windows) say(`    ${w.metrics ? 'on ' : 'off'}  ${w.rssMb.toFixed(1)} → ${w.peakMb.toFixed(1)} MB  ${w.cpuSeconds.toFixed(2)} cpu-s  load ${w.load.toFixed(1)}`);
    const refreshesPerWindow = windowSeconds / refreshSeconds;
    say(`  metrics on costs ${(rssOn - rssOff).toFixed(1)} MB and ${(((cpuOn - cpuOff) / windowSeconds) * 100).toFixed(2)} % of a core (${(((cpuOn - cpuOff) / refreshesPerWindow) * 1000).toFixed(0)} ms CPU per refresh, if all of it were the refresh)`);
    say(`  p90: refresh ${quantile(refreshed.tutti, 0.9).toFixed(1)} ms vs list ${quantile(refreshed.baseline, 0.9).toFixed(1)} ms; /metrics ${quantile(scraped.tutti, 0.9).toFixed(1)} ms vs trivial ${quantile(scraped.baseline, 0.9).toFixed(1)} ms`);
    say(`  /metrics body: ${(scraped.metricsBytes / 1024).toFixed(1)} kB, ${scraped.series} samples`);
    say(`  machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
  } finally {
    await worker?.stop();
    await client.connection.close();
    await db.end();
    bucket.s3.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/metrics: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
