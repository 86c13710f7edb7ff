import { ApplicationFailure } from '@temporalio/common';
import { pipeline } from 'node:stream/promises';
import { objectKey } from '../src/backup/layout';
import { compareDatabase, type Manifest, type ObjectInfo } from '../src/backup/manifest';
import { BackupBucket } from '../src/infra/backupStore';
import { decompressedArgv } from '../src/infra/compress';
import { emptyDir, execOk, tailOf } from '../src/infra/dockerExec';
import { databaseCounts, loadArgv, stopTool, tableRowCounts } from '../src/infra/dump';
import { execPipe, type ExecPipe } from '../src/infra/execPipe';
import { withJobContainer } from '../src/infra/jobContainer';
import { dropDatabase, ensureDatabase, listDatabases } from '../src/infra/mariadb';
import { getSite } from '../src/infra/registry';
import { HashCounter } from '../src/infra/streams';
import { FailureType } from '../src/site/errors';
import { LABEL, platformNames, siteLabels, siteNames, type Color } from '../src/site/names';
import { rootCause } from './backups';
import { heartbeatDuring, transfer } from './backupProgress';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { objectSha256, wrongChecksum, wrongSize } from './objectCheck';

export interface LoadInput {
  /** The site restored into (the same site, or the new one of a clone). */
  slug: string;
  host: string;
  /** Generation filled: never the live one of an active site. */
  generation: number;
  /** Where the backup is: its site folder, ID and manifest (already verified). */
  from: { slug: string; backupId: string };
  manifest: Pick<Manifest, 'objects' | 'database' | 'files'>;
}

/** Loss of the server mid-load is worth a retry; an SQL error in the dump is not. */
const TRANSIENT_LOAD = /Lost connection|server has gone away|Can't connect/i;

/**
 * Host-bound restore steps. Each fills a scratch generation from scratch (so a retry after a
 * crash starts clean), streams the object from S3 through SHA-256 into the loader, which
 * decompresses it in its container, and checks the result against the manifest. The live generation of an active site is refused.
 */
export function createRestoreActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;
  const mariadb = platformNames(cfg.prefix).mariadbContainer;
  const bucket = () => new BackupBucket(deps.s3(), cfg.s3.bucket);

  async function refuseLive(slug: string, generation: number): Promise<void> {
    const site = await getSite(deps.db(), slug);
    if (site && site.status !== 'creating' && site.generation === generation) {
      throw ApplicationFailure.nonRetryable(`generation ${generation} of site ${slug} is live; a restore only fills a new generation`, FailureType.InvalidInput);
    }
  }

  /**
   * Streams an object as stored through SHA-256 into a command that decompresses it in its
   * container: checked and loaded in one pass. It returns only when every byte matched the
   * manifest's size and checksum, so the caller switches to nothing that did not. When the stream
   * fails, the object is read through once more: a damaged object is reported as corrupt, not as
   * whatever error the loader made of it.
   */
  async function streamFromS3(step: string, from: LoadInput['from'], object: ObjectInfo, pipe: ExecPipe): Promise<{ exitCode: number; stderr: string }> {
    const key = objectKey(cfg.s3.prefix, from.slug, from.backupId, object.name);
    const of = { slug: from.slug, backupId: from.backupId };
    const found = await bucket().read(key);
    if (!found) throw ApplicationFailure.nonRetryable(`${object.name} of backup ${from.backupId} vanished from the bucket`, FailureType.BackupCorrupt);
    if (found.size !== object.bytes) {
      found.body.destroy();
      throw wrongSize(object, of, found.size);
    }
    const hash = new HashCounter();
    const drain = pipe.stdout.resume();
    const progress = transfer(step, () => hash.bytes, [found.body, hash, pipe.stdin!, drain], object.bytes);
    const [flow] = await Promise.allSettled([pipeline(found.body, hash, pipe.stdin!)]);
    progress.stop();
    if (flow.status === 'rejected') {
      pipe.destroy();
      const cancelled = progress.cancellation();
      if (cancelled) throw cancelled;
      const sha256 = await objectSha256(bucket(), key, object, of);
      if (sha256 !== object.sha256) throw wrongChecksum(object, of, sha256);
      throw rootCause(flow);
    }
    const result = await pipe.done;
    if (hash.bytes !== object.bytes || hash.sha256() !== object.sha256) throw wrongChecksum(object, of, hash.sha256());
    return result;
  }

  return classified({
    /**
     * What of a site exists in Docker and MariaDB although the registry does not know it: a
     * restore as a new site refuses to overwrite such leftovers (they may be the only copy).
     */
    async siteLeftovers(slug: string): Promise<string[]> {
      const n = siteNames(cfg.prefix, slug);
      const labels = [`${LABEL.prefix}=${cfg.prefix}`, `${LABEL.site}=${slug}`];
      const found = (await listDatabases(deps.db())).filter(n.isSiteDatabase).map((d) => `database ${d}`);
      for (const v of (await docker.listVolumes({ filters: { label: labels } })).Volumes ?? []) found.push(`volume ${v.Name}`);
      for (const c of await docker.listContainers({ all: true, filters: { label: labels } })) found.push(`container ${c.Names[0]!.replace(/^\//, '')}`);
      return found;
    },

    /** The name of a site's web container of one color (names depend on the prefix, which workflows do not know). */
    async webContainerName(slug: string, color: Color): Promise<string> {
      return siteNames(cfg.prefix, slug).webContainer(color);
    },

    /** Loads the backup's dump into a fresh database of `generation`, then compares every count with the manifest. */
    async loadDatabase(input: LoadInput): Promise<{ database: string; tables: number; rows: number }> {
      await refuseLive(input.slug, input.generation);
      const database = siteNames(cfg.prefix, input.slug).databaseOf(input.generation);
      await heartbeatDuring(`clearing ${database}`, async () => {
        await stopTool(docker, mariadb, 'load', database, deps.db());
        // The site user's grant names the database, so it survives the drop and re-create.
        await dropDatabase(deps.db(), database);
        await ensureDatabase(deps.db(), database);
      });
      const object = input.manifest.objects.db;
      const pipe = await execPipe(docker, mariadb, decompressedArgv(loadArgv(database), object.compression), { stdin: true });
      let result: { exitCode: number; stderr: string };
      try {
        result = await streamFromS3(`loading database ${database}`, input.from, object, pipe);
      } catch (err) {
        await stopTool(docker, mariadb, 'load', database, deps.db()).catch(() => undefined);
        throw err;
      }
      if (result.exitCode !== 0) {
        const why = `loading backup ${input.from.backupId} into ${database} failed (mariadb exited ${result.exitCode}): ${tailOf(result.stderr, 2)}`;
        throw TRANSIENT_LOAD.test(result.stderr) ? ApplicationFailure.retryable(why, FailureType.CommandFailed) : ApplicationFailure.nonRetryable(why, FailureType.BackupCorrupt);
      }
      const actual = await heartbeatDuring(`counting the rows of ${database}`, async () => ({ counts: await databaseCounts(deps.db(), database), rows: await tableRowCounts(deps.db(), database) }));
      const problems = compareDatabase(input.manifest.database, actual);
      if (problems.length) {
        throw ApplicationFailure.nonRetryable(`restored database ${database} does not match the manifest of ${input.from.backupId}: ${problems.slice(0, 5).join('; ')}`, FailureType.BackupCorrupt);
      }
      return { database, tables: actual.counts.tables, rows: Object.values(actual.rows).reduce((a, b) => a + b, 0) };
    },

    /** Extracts the files archive into an emptied volume of `generation` and counts what arrived. */
    async loadFiles(input: LoadInput): Promise<{ volume: string; entries: number }> {
      await refuseLive(input.slug, input.generation);
      const volume = siteNames(cfg.prefix, input.slug).filesVolumeOf(input.generation);
      const job = { name: `${cfg.prefix}-site-${input.slug}-job-restore`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, input.slug, 'job', input.host), binds: [`${volume}:/files`] };
      return withJobContainer(docker, job, { prefix: cfg.prefix, site: input.slug }, async (container) => {
        await heartbeatDuring(`clearing ${volume}`, () => emptyDir(docker, container, '/files'));
        const object = input.manifest.objects.files;
        const pipe = await execPipe(docker, container, decompressedArgv(['tar', '--numeric-owner', '-C', '/files', '-xpf', '-'], object.compression), { stdin: true });
        const r = await streamFromS3(`extracting files into ${volume}`, input.from, object, pipe);
        if (r.exitCode !== 0) throw ApplicationFailure.nonRetryable(`extracting files of backup ${input.from.backupId} failed (tar exited ${r.exitCode}): ${tailOf(r.stderr, 2)}`, FailureType.BackupCorrupt);
        const found = (await heartbeatDuring(`counting the files in ${volume}`, () => execOk(docker, container, ['find', '/files', '-printf', '.']))).stdout.length;
        if (found !== input.manifest.files.entries) {
          throw ApplicationFailure.nonRetryable(`volume ${volume} holds ${found} entries after extraction, the manifest says ${input.manifest.files.entries}`, FailureType.BackupCorrupt);
        }
        return { volume, entries: found };
      });
    },
  });
}

export type RestoreActivities = ReturnType<typeof createRestoreActivities>;
