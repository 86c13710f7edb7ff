import type { Client } from '@temporalio/client';
import type { Manifest } from '../src/backup/manifest';
import { startBackupSite } from '../src/client/backups';
import { startCreateSite } from '../src/client/sites';
import type { TuttiConfig } from '../src/config';
import type { Db } from '../src/infra/mariadb';
import { claimSite, getSite, updateSite } from '../src/infra/registry';
import { cronScheduleId } from '../src/site/cron';
import type { BackupResult } from '../workflows/backupSite';
import { copyBackup } from '../test/helpers/backupHelpers';

/**
 * The sites whose backup gauges the bench measures. The first is a real WordPress site, created
 * and backed up through the workflows; the others are registry rows (active, on this host) each
 * holding a copy of that backup under its own prefix, with the manifest rewritten for its slug.
 * That is all the gauges read (registry, bucket), and N real sites would not fit 2 cores.
 */
export async function createBackedUpSites(client: Client, cfg: TuttiConfig, db: Db, count: number, say: (line: string) => void): Promise<string[]> {
  const first = 'bench-01';
  say(`creating ${first} (createSite) and backing it up (backupSite)`);
  await (await startCreateSite(client, cfg, { domains: [`${first}.bench.example`], slug: first, title: 'Bench metrics' })).result();
  // Its cron schedule would run in some idle windows and not in others.
  await client.schedule.getHandle(cronScheduleId(first)).pause('bench/metrics: idle worker');
  const backup = (await (await startBackupSite(client, cfg, { site: first })).result()) as BackupResult;

  const spec = (await getSite(db, first))!.spec;
  const slugs = [first];
  for (let i = 2; i <= count; i++) {
    const slug = `bench-${String(i).padStart(2, '0')}`;
    const standIn = { ...spec, slug, domains: [`${slug}.bench.example`], title: `Stand-in ${i}` };
    await claimSite(db, standIn, 'bench-metrics');
    await updateSite(db, slug, { status: 'active' });
    await copyBackup(cfg, { slug: first, id: backup.backupId }, { slug, id: backup.backupId }, { manifest: (m: Manifest) => ({ ...m, site: slug, spec: standIn }) });
    slugs.push(slug);
  }
  say(`${count - 1} stand-in sites registered, each with a copy of backup ${backup.backupId}`);
  return slugs;
}
