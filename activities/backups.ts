import { log, metricMeter } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { pipeline } from 'node:stream/promises';
import { DumpFormatError, DumpScan, dumpProblems } from '../src/backup/dumpScan';
import { objectKey, objectNames, type Compression } from '../src/backup/layout';
import type { DbPart, FilesPart } from '../src/backup/manifest';
import { TarFormatError, TarScan } from '../src/backup/tarScan';
import { BackupBucket } from '../src/infra/backupStore';
import { compressedArgv, decompressor } from '../src/infra/compress';
import { execOk, tailOf } from '../src/infra/dockerExec';
import { databaseCounts, dumpArgv, stopTool, toolVersions } from '../src/infra/dump';
import { CommandError } from '../src/infra/errors';
import { execPipe, type ExecPipe } from '../src/infra/execPipe';
import { withJobContainer } from '../src/infra/jobContainer';
import { databaseExists } from '../src/infra/mariadb';
import { FinalCheck, HashCounter, SideScan } from '../src/infra/streams';
import { FailureType } from '../src/site/errors';
import { platformNames, siteLabels, siteNames } from '../src/site/names';
import { earlierResult, heartbeatDuring, heartbeatResult, transfer } from './backupProgress';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

export interface BackupPartInput {
  slug: string;
  host: string;
  generation: number;
  backupId: string;
}

/** New backups are zstd; gzip ones (made before) stay restorable. */
export const BACKUP_COMPRESSION: Compression = 'zstd';
const NAMES = objectNames(BACKUP_COMPRESSION);

/**
 * Host-bound backup steps: the site's database and files volume, each compressed with zstd in the
 * container that reads them (so only compressed bytes cross dockerd), then streamed through
 * SHA-256 into one multipart upload, and decompressed beside it on this host for the scan that
 * proves the dump whole. Nothing touches the disk; memory stays flat whatever the size.
 */
/** The error that started it: a stream torn down because the other side failed reports only "premature close". */
export function rootCause(...results: PromiseSettledResult<unknown>[]): unknown {
  const reasons = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as { code?: string });
  return reasons.find((r) => r?.code !== 'ERR_STREAM_PREMATURE_CLOSE') ?? reasons[0];
}

/** An object's upload finished: its stored bytes count for the site (the activityType label names the object). */
const CONTENT_TYPE: Record<Compression, string> = { zstd: 'application/zstd', gzip: 'application/gzip' };

function countUploaded(site: string, bytes: number): void {
  metricMeter.createCounter('tutti_backup_bytes_total', 'By', 'Compressed bytes of backup objects uploaded to S3, by site; activityType dumpDatabase is the database dump, archiveFiles the files archive').add(bytes, { site });
}

export function createBackupActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;
  const mariadb = platformNames(cfg.prefix).mariadbContainer;
  const bucket = () => new BackupBucket(deps.s3(), cfg.s3.bucket);

  /** Reuses what an earlier attempt finished and heartbeated, when its object is still there with that size. */
  async function finishedBefore<T extends { object: { bytes: number } }>(key: string): Promise<T | undefined> {
    const earlier = earlierResult<T>();
    if (earlier && (await bucket().head(key))?.size === earlier.object.bytes) return earlier;
    return undefined;
  }

  /**
   * Pipes a command's compressed output through a hasher and `scan` into `key`; `check` runs at
   * the end, once the scan has seen every byte, before the upload completes. Heartbeats count
   * the bytes the scan has seen (uncompressed, as the UI's sizes are).
   */
  async function streamToS3(step: string, key: string, pipe: ExecPipe, scan: SideScan, check: (exitCode: number, stderr: string) => void): Promise<HashCounter> {
    const hash = new HashCounter();
    const gate = new FinalCheck(async () => {
      const { exitCode, stderr } = await pipe.done;
      check(exitCode, stderr);
    });
    const progress = transfer(step, () => scan.inspected, [pipe.stdout, hash, scan, gate]);
    // Both settle before we go on: a failed upload has aborted its multipart upload by then.
    const [flow, upload] = await Promise.allSettled([pipeline(pipe.stdout, hash, scan, gate), bucket().upload(key, gate, CONTENT_TYPE[BACKUP_COMPRESSION])]);
    progress.stop();
    if (flow.status === 'rejected' || upload.status === 'rejected') {
      pipe.destroy();
      throw progress.cancellation() ?? rootCause(flow, upload);
    }
    return hash;
  }

  return classified({
    /**
     * Dumps the site's live database with mariadb-dump (single transaction, routines, triggers,
     * events), compressed with zstd in the MariaDB container, to `<site>/<id>/db.sql.zst`. The dump must exit 0, end with its completion marker and
     * hold as many tables, views, triggers, routines and events as the server reports; otherwise
     * the upload is aborted and the activity fails.
     */
    async dumpDatabase(input: BackupPartInput): Promise<DbPart> {
      const key = objectKey(cfg.s3.prefix, input.slug, input.backupId, NAMES.db);
      const reused = await finishedBefore<DbPart>(key);
      if (reused) return reused;
      const database = siteNames(cfg.prefix, input.slug).databaseOf(input.generation);
      if (!(await databaseExists(deps.db(), database))) {
        throw ApplicationFailure.nonRetryable(`database ${database} of site ${input.slug} does not exist; nothing to back up`, FailureType.SiteNotFound);
      }
      const { expected, versions } = await heartbeatDuring(`preparing the dump of ${database}`, async () => {
        const stopped = await stopTool(docker, mariadb, 'dump', database, deps.db());
        const aborted = await bucket().abortUploads(key);
        if (stopped.length || aborted) log.warn('cleaned up after an earlier attempt', { site: input.slug, stoppedDumps: stopped, abortedUploads: aborted });
        return { expected: await databaseCounts(deps.db(), database), versions: await toolVersions(docker, mariadb, deps.db()) };
      });
      const scan = new DumpScan();
      const pipe = await execPipe(docker, mariadb, compressedArgv(dumpArgv(database), BACKUP_COMPRESSION));
      let hash: HashCounter;
      try {
        hash = await streamToS3(`dumping database ${database}`, key, pipe, new SideScan(decompressor(BACKUP_COMPRESSION), (chunk) => scan.feed(chunk)), (exitCode, stderr) => {
          if (exitCode !== 0) throw new CommandError(`mariadb-dump of ${database} exited ${exitCode}: ${tailOf(stderr, 3)}`, exitCode, tailOf(stderr));
          const problems = dumpProblems(scan.result(), expected);
          if (problems.length) throw ApplicationFailure.retryable(`dump of ${database} is incomplete: ${problems.join('; ')}`, FailureType.BackupIncomplete);
        });
      } catch (err) {
        await stopTool(docker, mariadb, 'dump', database, deps.db()).catch(() => undefined);
        if (err instanceof DumpFormatError) throw ApplicationFailure.nonRetryable(`dump of ${database} cannot be checked: ${err.message}`, FailureType.BackupIncomplete);
        throw err;
      }
      countUploaded(input.slug, hash.bytes);
      const summary = scan.result();
      const part: DbPart = {
        object: { name: NAMES.db, bytes: hash.bytes, sha256: hash.sha256(), rawBytes: summary.bytes, compression: BACKUP_COMPRESSION },
        database,
        counts: summary.counts,
        rows: summary.rows,
        dumpVersion: versions.dump,
        serverVersion: versions.server,
      };
      heartbeatResult('database uploaded', hash.bytes, part);
      return part;
    },

    /** Archives the site's files volume (read-only, from a short-lived job container, compressed there) to `<site>/<id>/files.tar.zst`. */
    async archiveFiles(input: BackupPartInput): Promise<FilesPart> {
      const key = objectKey(cfg.s3.prefix, input.slug, input.backupId, NAMES.files);
      const reused = await finishedBefore<FilesPart>(key);
      if (reused) return reused;
      const n = siteNames(cfg.prefix, input.slug);
      const volume = n.filesVolumeOf(input.generation);
      try {
        await docker.getVolume(volume).inspect();
      } catch {
        throw ApplicationFailure.nonRetryable(`files volume ${volume} of site ${input.slug} does not exist; nothing to back up`, FailureType.SiteNotFound);
      }
      await bucket().abortUploads(key);
      const job = { name: `${cfg.prefix}-site-${input.slug}-job-backup`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, input.slug, 'job', input.host), binds: [`${volume}:/files:ro`] };
      return withJobContainer(docker, job, { prefix: cfg.prefix, site: input.slug }, async (container) => {
        const tarVersion = (await execOk(docker, container, ['tar', '--version'])).stdout.split('\n')[0]!.trim();
        const scan = new TarScan();
        const side = new SideScan(decompressor(BACKUP_COMPRESSION), (chunk) => scan.feed(chunk));
        const warnings: string[] = [];
        const pipe = await execPipe(docker, container, compressedArgv(['tar', '--numeric-owner', '-C', '/files', '-cf', '-', '.'], BACKUP_COMPRESSION));
        let hash: HashCounter;
        try {
          hash = await streamToS3(`archiving files volume ${volume}`, key, pipe, side, (exitCode, stderr) => {
            // GNU tar exits 1 when a file changed while it was read: the archive is whole, that file may be torn.
            if (exitCode === 1) warnings.push(...tailOf(stderr, 5).split('\n').filter(Boolean));
            else if (exitCode !== 0) throw new CommandError(`tar of ${volume} exited ${exitCode}: ${tailOf(stderr, 3)}`, exitCode, tailOf(stderr));
            if (!scan.result().complete) throw ApplicationFailure.retryable(`archive of ${volume} ended without its end-of-archive blocks`, FailureType.BackupIncomplete);
          });
        } catch (err) {
          if (err instanceof TarFormatError) throw ApplicationFailure.retryable(`archive of ${volume} is malformed: ${err.message}`, FailureType.BackupIncomplete);
          throw err;
        }
        countUploaded(input.slug, hash.bytes);
        const r = scan.result();
        const part: FilesPart = {
          object: { name: NAMES.files, bytes: hash.bytes, sha256: hash.sha256(), rawBytes: side.inspected, compression: BACKUP_COMPRESSION },
          entries: r.entries,
          bytes: r.bytes,
          warnings,
          tarVersion,
        };
        heartbeatResult('files uploaded', hash.bytes, part);
        return part;
      });
    },
  });
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
