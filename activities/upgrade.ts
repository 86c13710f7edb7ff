import { ApplicationFailure } from '@temporalio/common';
import { ensureVolume, imageId } from '../src/infra/docker';
import { emptyDir, exec, execOk, tailOf } from '../src/infra/dockerExec';
import { withJobContainer } from '../src/infra/jobContainer';
import { FailureType } from '../src/site/errors';
import { platformNames, siteLabels, siteNames } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import type { SiteSpec } from '../src/site/spec';
import { heartbeatDuring } from './backupProgress';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

/** Steps of a blue/green image upgrade that the site activities do not already cover. */
export function createUpgradeActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;
  const mariadb = platformNames(cfg.prefix).mariadbContainer;

  return classified({
    /** The local image ID (content digest) of a reference; a missing image fails non-retryably. */
    async resolveImage(ref: string): Promise<string> {
      const id = await imageId(docker, ref);
      if (!id) throw ApplicationFailure.nonRetryable(`image ${ref} is not on this Docker host; build or pull it first`, FailureType.InvalidInput);
      return id;
    },

    /**
     * Copies one generation of the site's database into another inside the MariaDB container
     * (dump piped into the client, no temp file), replacing the target. The database names are
     * positional arguments of a fixed script, never spliced into it.
     */
    async copyDatabase(slug: string, fromGeneration: number, toGeneration: number): Promise<void> {
      const n = siteNames(cfg.prefix, slug);
      const from = n.databaseOf(fromGeneration);
      const to = n.databaseOf(toGeneration);
      const script = 'mariadb -e "DROP DATABASE IF EXISTS \\`$2\\`; CREATE DATABASE \\`$2\\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" && mariadb-dump --single-transaction --routines --triggers --events "$1" | mariadb "$2"';
      const r = await exec(docker, mariadb, ['bash', '-o', 'pipefail', '-c', script, 'copy-database', from, to], { timeoutMs: 3_600_000 });
      if (r.exitCode !== 0) throw new Error(`copying ${from} to ${to} failed (exit ${r.exitCode}): ${tailOf(r.stderr, 3)}`);
    },

    /**
     * Copies one generation of the site's files volume into another (made with the site's labels
     * when missing, emptied first), owners and modes kept: the snapshot a rolled-back upgrade
     * serves from has the files the site had, not an empty volume.
     */
    async copyFilesVolume(spec: SiteSpec, fromGeneration: number, toGeneration: number): Promise<void> {
      const n = siteNames(cfg.prefix, spec.slug);
      const from = n.filesVolumeOf(fromGeneration);
      const to = n.filesVolumeOf(toGeneration);
      const owner = { prefix: cfg.prefix, site: spec.slug };
      await ensureVolume(docker, to, siteLabels(cfg.prefix, spec.slug, 'files', spec.host), owner);
      const job = { name: `${cfg.prefix}-site-${spec.slug}-job-copy-files`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, spec.slug, 'job', spec.host), binds: [`${from}:/from:ro`, `${to}:/to`] };
      await withJobContainer(docker, job, owner, async (c) => {
        await heartbeatDuring(`clearing ${to}`, () => emptyDir(docker, c, '/to'));
        await heartbeatDuring(`copying ${from} to ${to}`, () => execOk(docker, c, ['cp', '-a', '/from/.', '/to/'], { timeoutMs: 3_600_000 }));
      });
    },

    /** Runs the platform's update commands, then the extra steps, in the new container; stops at the first failure. */
    async runUpdateSteps(spec: SiteSpec, container: string, extra: string[][]): Promise<string[]> {
      const profile = profileOf(spec.platform);
      const done: string[] = [];
      for (const argv of [...profile.update(), ...extra]) {
        const r = await exec(docker, container, argv, { user: profile.execUser, timeoutMs: 1_800_000 });
        if (r.exitCode !== 0) {
          throw ApplicationFailure.nonRetryable(`update step ${JSON.stringify(argv.slice(0, 3))} exited ${r.exitCode}: ${tailOf(`${r.stdout}\n${r.stderr}`, 3)}`, FailureType.CommandFailed);
        }
        done.push(`${argv.slice(0, 3).join(' ')}: ${tailOf(r.stdout, 1)}`);
      }
      return done;
    },
  });
}
