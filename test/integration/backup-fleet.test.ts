import { backupTime } from '../../src/backup/ids';
import { drillSite } from '../../src/backup/inputs';
import { OBJECT, sitePrefix } from '../../src/backup/layout';
import { startBackupSite, startFleetBackup } from '../../src/client/backups';
import { ensureFleetBackupSchedule, FLEET_BACKUP_SCHEDULE } from '../../src/client/schedules';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { listSiteBackups } from '../../src/infra/backupCatalog';
import type { BackupResult } from '../../workflows/backupSite';
import type { FleetReport } from '../../workflows/fleetBackup';
import { copyBackup, failureOf, liveDatabase, sql, testBucket, tutti } from '../helpers/backupHelpers';
import { startWorker, testConfig, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING } from '../helpers/sites';

/** A backup ID `days` days ago. */
const daysAgo = (days: number, tag: string) => `${new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${tag}`;

describe('fleetBackup: one failing site stops none, retention keeps the last good backup, a restore drill, the report', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
    await Promise.all([
      (await startCreateSite(w.client, w.cfg, { domains: ['canon.example'], title: 'Canon Society' })).result(),
      (await startCreateSite(w.client, w.cfg, { domains: ['motet.example'], title: 'Motet Singers' })).result(),
    ]);
  });
  afterAll(async () => {
    for (const site of ['canon', 'motet']) {
      await (await startDeleteSite(w.client, w.cfg, { site, finalBackup: false })).result().catch(() => undefined);
      await testBucket(w.cfg).removeFolder(sitePrefix(w.cfg.s3.prefix, site), OBJECT.manifest);
    }
    await w.stop();
  });

  it('canon fails (its database vanished) while motet is backed up and drilled; canon keeps its newest good backup', async () => {
    // canon's history: good backups 10, 9 and 8 days old; failed ones (no manifest) 3 days and 1 hour old
    const real = (await (await startBackupSite(w.client, w.cfg, { site: 'canon' })).result()) as BackupResult;
    const ids = { d10: daysAgo(10, 'aaaaaa'), d9: daysAgo(9, 'bbbbbb'), d8: daysAgo(8, 'cccccc'), d3: daysAgo(3, 'dddddd'), h1: daysAgo(1 / 24, 'eeeeee') };
    for (const id of [ids.d10, ids.d9, ids.d8]) await copyBackup(w.cfg, { slug: 'canon', id: real.backupId }, { slug: 'canon', id }, { manifest: (m) => ({ ...m, startedAt: backupTime(id)!.toISOString() }) });
    for (const id of [ids.d3, ids.h1]) await copyBackup(w.cfg, { slug: 'canon', id: real.backupId }, { slug: 'canon', id }, { noManifest: true });
    await testBucket(w.cfg).removeFolder(`${sitePrefix(w.cfg.s3.prefix, 'canon')}${real.backupId}/`, OBJECT.manifest);
    await sql(w.cfg, 'mysql', `DROP DATABASE \`${await liveDatabase(w.cfg, 'canon')}\``);

    const handle = await startFleetBackup(w.client, w.cfg, { sites: ['canon', 'motet'], keepDaily: 2, keepWeekly: 0, verifySample: 1, concurrency: 2 });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe('BackupFailed');
    expect(failure.message).toMatch(/1 of 2 sites backed up, 1 failures, 1 without a good backup in 26 h: canon/);
    const report = failure.details![0] as FleetReport;
    expect(report.backedUp.map((b) => b.site)).toEqual(['motet']);
    expect(report.failed).toEqual([{ site: 'canon', stage: 'backup', error: expect.stringMatching(/database \S+ of site canon does not exist/) }]);
    expect(report.pruned).toEqual([{ site: 'canon', removed: [ids.d3, ids.d10] }]);
    expect(report.stale).toEqual([{ site: 'canon', newestGood: ids.d8, ageHours: expect.any(Number) }]);
    expect(report.verified).toEqual([expect.objectContaining({ site: 'motet', backupId: report.backedUp[0]!.backupId, ok: true })]);
    expect(report.verified[0]!.restoreSeconds).toBeGreaterThan(0);

    // what is left in the bucket: the two newest good (daily) and the failure that may still be running
    const canon = await listSiteBackups(testBucket(w.cfg), w.cfg.s3.prefix, 'canon');
    expect(canon.map((b) => [b.id, b.state])).toEqual([
      [ids.h1, 'incomplete'],
      [ids.d8, 'good'],
      [ids.d9, 'good'],
    ]);
    // the drill's throwaway site is gone, its outcome is recorded beside the backup
    expect(await inventory(w.cfg, drillSite('motet', report.backedUp[0]!.backupId).slug)).toEqual(NOTHING);
    const motet = await listSiteBackups(testBucket(w.cfg), w.cfg.s3.prefix, 'motet');
    expect(motet[0]!.verification).toMatchObject({ ok: true, backupId: report.backedUp[0]!.backupId });

    // the operator's view
    const cli = await tutti(['backup', 'report', '--json']);
    expect(cli.status).toBe(2);
    const shown = JSON.parse(cli.stdout) as { lastFleetRun: { workflowId: string; report: FleetReport }; now: { stale: { site: string }[] } };
    expect(shown.lastFleetRun.workflowId).toBe(handle.workflowId);
    expect(shown.lastFleetRun.report.failed.map((f) => f.site)).toEqual(['canon']);
    expect(shown.now.stale.map((s) => s.site)).toEqual(['canon']);
    const text = await tutti(['backup', 'report']);
    expect(text.stdout).toMatch(/FAILED canon \(backup\): database \S+ of site canon does not exist/);
    expect(text.stdout).toMatch(new RegExp(`canon: newest good ${ids.d8}`));
  });

  it('the Schedule follows TUTTI_BACKUP_SCHEDULE, idempotently', async () => {
    const at = (schedule: string) => testConfig({ TUTTI_BACKUP_SCHEDULE: schedule });
    const handle = w.client.schedule.getHandle(FLEET_BACKUP_SCHEDULE);
    expect(await ensureFleetBackupSchedule(w.client, at('off'))).toMatch(/^(deleted|off)$/);
    expect(await ensureFleetBackupSchedule(w.client, at('15 3 * * *'))).toBe('created');
    expect(await ensureFleetBackupSchedule(w.client, at('15 3 * * *'))).toBe('unchanged');
    const first = await handle.describe();
    expect(first.action).toMatchObject({ type: 'startWorkflow', workflowType: 'fleetBackup' });
    expect(first.policies.overlap).toBe('SKIP');
    expect(first.info.nextActionTimes[0]!.toISOString()).toMatch(/T03:15:00/);
    expect(await ensureFleetBackupSchedule(w.client, at('45 1 * * *'))).toBe('updated');
    expect((await handle.describe()).info.nextActionTimes[0]!.toISOString()).toMatch(/T01:45:00/);
    expect(await ensureFleetBackupSchedule(w.client, at('off'))).toBe('deleted');
    // leave the platform's Schedule as `up` made it
    expect(await ensureFleetBackupSchedule(w.client, w.cfg)).toBe(w.cfg.backup.schedule ? 'created' : 'off');
  });
});
