import type { Logger, MetricMeter } from '@temporalio/common';
import type { Manifest } from '../backup/manifest';
import { boundedAll } from '../backup/report';
import { newestGoodBackup } from '../infra/backupCatalog';
import type { BackupBucket } from '../infra/backupStore';
import type { Db } from '../infra/mariadb';
import { listSites } from '../infra/registry';

/** What the backup gauges of one site say, from its newest good backup's manifest (undefined: it has none). */
export interface BackupGauges {
  /** Seconds since the newest good backup ended; +Inf without one, so one alert rule covers both. */
  ageSeconds: number;
  missing: 0 | 1;
  /** Stored bytes of the newest good backup (database dump and files archive, compressed); 0 without one. */
  sizeBytes: number;
}

export function backupGauges(newest: Pick<Manifest, 'endedAt' | 'objects'> | undefined, now: Date): BackupGauges {
  if (!newest) return { ageSeconds: Number.POSITIVE_INFINITY, missing: 1, sizeBytes: 0 };
  const ageSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(newest.endedAt)) / 1000));
  return { ageSeconds, missing: 0, sizeBytes: newest.objects.db.bytes + newest.objects.files.bytes };
}

export interface BackupMetricsOptions {
  meter: MetricMeter;
  logger: Logger;
  db: () => Db;
  bucket: () => BackupBucket;
  s3Prefix: string;
  /** Sites on this host only: each host worker reports its own, so no series is reported twice. */
  hostName: string;
  refreshSeconds: number;
  now?: () => Date;
}

/**
 * The worker process's backup gauges per active site: age of the newest good backup, whether
 * there is none, and its size. Recomputed from the registry and the bucket every
 * `refreshSeconds`, and for one site as soon as a backup of it is written.
 */
export class BackupMetrics {
  private readonly age;
  private readonly missing;
  private readonly size;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: BackupMetricsOptions) {
    this.age = opts.meter.createGauge('tutti_backup_age_seconds', 'float', 's', 'Seconds since the newest good backup (with a manifest) of the site ended; +Inf when it has none');
    this.missing = opts.meter.createGauge('tutti_backup_missing', 'int', undefined, '1 when the active site has no good backup');
    this.size = opts.meter.createGauge('tutti_backup_last_size_bytes', 'int', 'By', 'Stored bytes of the newest good backup of the site');
  }

  /** First refresh now, then every `refreshSeconds` after the previous one ended. */
  start(): void {
    const loop = async () => {
      await this.refresh();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.opts.refreshSeconds * 1000).unref();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** A backup's manifest was just written: that site's gauges without waiting for the next refresh. */
  backupWritten(manifest: Manifest): void {
    this.record(manifest.site, manifest);
  }

  /** Recomputes every active site on this host; a failure is logged and the gauges keep their values. */
  async refresh(): Promise<void> {
    try {
      const sites = (await listSites(this.opts.db(), this.opts.hostName)).filter((s) => s.status === 'active');
      const results = await boundedAll(sites, 4, async (s) => this.record(s.spec.slug, (await newestGoodBackup(this.opts.bucket(), this.opts.s3Prefix, s.spec.slug))?.manifest));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) this.opts.logger.warn('backup metrics: some sites could not be read', { sites: failed.length, error: failed[0]!.reason as unknown });
    } catch (err) {
      this.opts.logger.warn('backup metrics: refresh failed; gauges keep their last values', { error: err });
    }
  }

  private record(site: string, newest: Manifest | undefined): void {
    const g = backupGauges(newest, (this.opts.now ?? (() => new Date()))());
    this.age.set(g.ageSeconds, { site });
    this.missing.set(g.missing, { site });
    this.size.set(g.sizeBytes, { site });
  }
}
