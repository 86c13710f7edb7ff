import type Docker from 'dockerode';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { TuttiConfig } from '../../src/config';
import { dumpArgv } from '../../src/infra/dump';
import { execPipe } from '../../src/infra/execPipe';
import { withJobContainer } from '../../src/infra/jobContainer';
import { platformNames, siteLabels, siteNames } from '../../src/site/names';

/** Exports a running Tutti site as another host would hand it over: mariadb-dump (gzip) and a tar of wp-content. */
export async function exportSite(cfg: TuttiConfig, docker: Docker, slug: string, dir: string): Promise<{ db: string; files: string }> {
  const n = siteNames(cfg.prefix, slug);
  const db = join(dir, `${slug}.sql.gz`);
  const dump = await execPipe(docker, platformNames(cfg.prefix).mariadbContainer, dumpArgv(n.databaseOf(1)));
  await pipeline(dump.stdout, createGzip(), createWriteStream(db));
  const dumped = await dump.done;
  if (dumped.exitCode !== 0) throw new Error(`mariadb-dump of ${slug} exited ${dumped.exitCode}`);
  const files = join(dir, `${slug}-files.tar`);
  const job = { name: `${cfg.prefix}-site-${slug}-job-export`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, slug, 'job', cfg.hostName), binds: [`${n.filesVolume}:/files:ro`] };
  await withJobContainer(docker, job, { prefix: cfg.prefix, site: slug }, async (c) => {
    const tar = await execPipe(docker, c, ['tar', '-C', '/files', '-cf', '-', '.']);
    await pipeline(tar.stdout, createWriteStream(files));
    const tarred = await tar.done;
    if (tarred.exitCode !== 0) throw new Error(`tar of ${slug}'s files exited ${tarred.exitCode}`);
  });
  return { db, files };
}
