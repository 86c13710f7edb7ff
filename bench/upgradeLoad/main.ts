import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { dataConverter } from '../../src/codec';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { startUpgradeSite } from '../../src/client/upgrades';
import { WorkerProcess } from '../../test/helpers/workerProcess';

/**
 * Steady HTTP load through Varnish during a php8.2 → php8.4 upgrade, against the same load with
 * no upgrade, in the same run: failed requests and p50/p99 of each, and their ratio.
 */
interface Run {
  label: string;
  seconds: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
}

function load(port: number, host: string, seconds: number | undefined, connections: number) {
  return autocannon({ url: `http://127.0.0.1:${port}/`, headers: { host }, connections, duration: seconds ?? 600, timeout: 30 });
}

function summarize(label: string, r: autocannon.Result): Run {
  return { label, seconds: r.duration, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, p50: r.latency.p50, p99: r.latency.p99 };
}

async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 4);
  const worker = new WorkerProcess(cfg, 'bench-upgrade-worker');
  await worker.start();
  const client = new Client({ connection: await Connection.connect({ address: cfg.temporal.address }), namespace: cfg.temporal.namespace, dataConverter: dataConverter(cfg) });
  const host = 'bench-upgrade.example';
  try {
    await (await startCreateSite(client, cfg, { domains: [host], slug: 'bench-upgrade', title: 'Bench Upgrade' })).result();
    process.stderr.write('site created; measuring the baseline (no upgrade)\n');
    const baselineSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? 30);
    const baseline = summarize('no upgrade', await load(cfg.varnish.httpPort, host, baselineSeconds, connections));

    process.stderr.write('measuring the same load during upgradeSite php8.2 → php8.4\n');
    const started = Date.now();
    const during = load(cfg.varnish.httpPort, host, undefined, connections);
    const result = await (await startUpgradeSite(client, cfg, { site: 'bench-upgrade', image: 'tutti/wordpress:php8.4-trixie', drainSeconds: 5 })).result();
    await new Promise((r) => setTimeout(r, 2_000));
    (during as unknown as { stop(): void }).stop();
    const upgrade = summarize(`during upgrade (${result.outcome}, ${((Date.now() - started) / 1000).toFixed(0)} s)`, await during);

    const rows = [baseline, upgrade];
    process.stdout.write(`\n${'run'.padEnd(34)} ${'requests'.padStart(9)} ${'non-2xx'.padStart(8)} ${'errors'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}\n`);
    for (const r of rows) process.stdout.write(`${r.label.padEnd(34)} ${String(r.requests).padStart(9)} ${String(r.non2xx).padStart(8)} ${String(r.errors + r.timeouts).padStart(7)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)}\n`);
    process.stdout.write(`\np50 ratio ${(upgrade.p50 / baseline.p50).toFixed(2)}x, p99 ratio ${(upgrade.p99 / baseline.p99).toFixed(2)}x (aim: 0 failed, p99 <= 2x)\n`);
    await (await startDeleteSite(client, cfg, { site: 'bench-upgrade', finalBackup: false })).result();
  } finally {
    await client.connection.close();
    await worker.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/upgrade: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
