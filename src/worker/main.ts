import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { loadConfig, type TuttiConfig } from '../config';
import { BackupBucket } from '../infra/backupStore';
import { buildDeps } from './deps';
import { logLine } from './logging';
import { CertificateMetrics } from './certMetrics';
import { BackupMetrics } from './metrics';
import { createWorkers, runWorkers } from './worker';

/**
 * Worker entry point: structured JSON logs on stdout, Prometheus metrics (Temporal's and
 * Tutti's) on TUTTI_METRICS_ADDRESS, config from the environment.
 */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  installRuntime(cfg);
  const metrics = backupMetrics(cfg, () => deps);
  const deps = buildDeps(cfg, { onBackupWritten: (manifest) => metrics?.backupWritten(manifest) });
  const { workers, connection } = await createWorkers({ cfg, deps });
  metrics?.start();
  const certs = cfg.metrics.address ? new CertificateMetrics({ meter: Runtime.instance().metricMeter, logger: Runtime.instance().logger, db: () => deps.db(), hostName: cfg.hostName, refreshSeconds: cfg.metrics.refreshSeconds }) : undefined;
  certs?.start();
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'INFO', message: 'tutti worker started', host: cfg.hostName, namespace: cfg.temporal.namespace, queues: workers.map((w) => w.options.taskQueue), metrics: cfg.metrics.address ? `http://${cfg.metrics.address}/metrics` : 'off' }) + '\n');
  try {
    await runWorkers(workers);
  } finally {
    metrics?.stop();
    certs?.stop();
    await deps.close();
    await connection.close();
  }
}

/** The SDK's runtime: JSON log lines, and the Prometheus exporter unless TUTTI_METRICS_ADDRESS=off. */
function installRuntime(cfg: TuttiConfig): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => process.stdout.write(logLine(entry))),
      ...(cfg.metrics.address ? { telemetryOptions: { metrics: { prometheus: { bindAddress: cfg.metrics.address } } } } : {}),
    });
  } catch (err) {
    if (!cfg.metrics.address) throw err;
    throw new Error(`metrics endpoint TUTTI_METRICS_ADDRESS=${cfg.metrics.address} cannot be opened (${err instanceof Error ? err.message : String(err)}); choose a free port or set TUTTI_METRICS_ADDRESS=off`, { cause: err });
  }
}

/** Backup gauges on the metrics endpoint; none when it is off. */
function backupMetrics(cfg: TuttiConfig, deps: () => ActivityDeps): BackupMetrics | undefined {
  if (!cfg.metrics.address) return undefined;
  const runtime = Runtime.instance();
  return new BackupMetrics({
    meter: runtime.metricMeter,
    logger: runtime.logger,
    db: () => deps().db(),
    bucket: () => new BackupBucket(deps().s3(), cfg.s3.bucket),
    s3Prefix: cfg.s3.prefix,
    hostName: cfg.hostName,
    refreshSeconds: cfg.metrics.refreshSeconds,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`tutti worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
