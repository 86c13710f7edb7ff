import { ApplicationFailure } from '@temporalio/common';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { DumpScan } from '../src/backup/dumpScan';
import { objectKey } from '../src/backup/layout';
import { compareDatabase, type Manifest } from '../src/backup/manifest';
import { TarScan } from '../src/backup/tarScan';
import { BackupBucket } from '../src/infra/backupStore';
import { execOk, tailOf } from '../src/infra/dockerExec';
import { databaseCounts, loadArgv, stopTool, tableRowCounts } from '../src/infra/dump';
import { execPipe, type ExecPipe } from '../src/infra/execPipe';
import { withJobContainer } from '../src/infra/jobContainer';
import { dropDatabase, ensureDatabase, listDatabases } from '../src/infra/mariadb';
import { getSite } from '../src/infra/registry';
import { HashCounter, Tap } from '../src/infra/streams';
import { FailureType } from '../src/site/errors';
import { LABEL, platformNames, siteLabels, siteNames, type Color } from '../src/site/names';
import { rootCause } from './backups';
import { heartbeatDuring, transfer } from './backupProgress';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

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
 * crash starts clean), streams the object from S3 through SHA-256 and gunzip into the loader, and
 * checks the result against the manifest. The live generation of an active site is refused.
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

  /** Streams an object through hash and gunzip and `tap` into a command's stdin; checks size and checksum. */
  async function streamFromS3(step: string, from: LoadInput['from'], object: Manifest['objects']['db'], pipe: ExecPipe, tap: Tap): Promise<{ exitCode: number; stderr: string }> {
    const found = await bucket().read(objectKey(cfg.s3.prefix, from.slug, from.backupId, object.name));
    if (!found) throw ApplicationFailure.nonRetryable(`${object.name} of backup ${from.backupId} vanished from the bucket`, FailureType.BackupCorrupt);
    const hash = new HashCounter();
    const drain = pipe.stdout.resume();
    const progress = transfer(step, () => hash.bytes, [found.body, hash, tap, pipe.stdin!, drain], object.bytes);
    const [flow] = await Promise.allSettled([pipeline(found.body, hash, createGunzip(), tap, pipe.stdin!)]);
    progress.stop();
    if (flow.status === 'rejected') {
      pipe.destroy();
      throw progress.cancellation() ?? rootCause(flow);
    }
    const result = await pipe.done;
    if (hash.bytes !== object.bytes || hash.sha256() !== object.sha256) {
      throw ApplicationFailure.nonRetryable(`${object.name} of backup ${from.backupId} changed since it was verified (sha256 ${hash.sha256().slice(0, 12)}…); nothing was switched`, FailureType.BackupCorrupt);
    }
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
      const scan = new DumpScan();
      const pipe = await execPipe(docker, mariadb, loadArgv(database), { stdin: true });
      let result: { exitCode: number; stderr: string };
      try {
        result = await streamFromS3(`loading database ${database}`, input.from, input.manifest.objects.db, pipe, new Tap((c) => scan.feed(c)));
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
        await heartbeatDuring(`clearing ${volume}`, () => execOk(docker, container, ['find', '/files', '-mindepth', '1', '-delete']));
        const scan = new TarScan();
        const pipe = await execPipe(docker, container, ['tar', '--numeric-owner', '-C', '/files', '-xpf', '-'], { stdin: true });
        const r = await streamFromS3(`extracting files into ${volume}`, input.from, input.manifest.objects.files, pipe, new Tap((c) => scan.feed(c)));
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
