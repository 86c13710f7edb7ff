import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, executeChild, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { fleetBackupInputSchema, type FleetBackupInput } from '../src/backup/inputs';
import { boundedAll, innermostMessage, rotatingSample, staleSites, type SiteBackupStatus } from '../src/backup/report';
import { FailureType } from '../src/site/errors';
import { siteWorkflowId } from '../src/site/names';
import type { backupSite, BackupResult } from './backupSite';
import { BACKUP_STORE } from './backupSite';
import { REGISTRY, tagRun, validated } from './common';
import { sharedActivities } from './hostActivities';
import type { verifyBackup, VerifyResult } from './verifyBackup';

export interface FleetReport {
  startedAt: string;
  endedAt: string;
  sites: number;
  backedUp: { site: string; backupId: string; bytes: number; seconds: number }[];
  failed: { site: string; stage: 'backup' | 'retention' | 'verify'; error: string }[];
  pruned: { site: string; removed: string[] }[];
  verified: VerifyResult[];
  /** Sites without a good backup in the last `staleAfterHours`. */
  stale: SiteBackupStatus[];
  staleAfterHours: number;
}

/**
 * Nightly: a backupSite child per active site (at most `concurrency` at once; a failing or busy
 * site stops none of the others), then retention for each site, a restore drill of a rotating
 * sample, and the report. The run fails, with the report as its details, when any site failed or
 * has no good backup younger than the limit: a failure shows in the UI, never only in a log.
 */
export async function fleetBackup(rawInput: FleetBackupInput = {}): Promise<FleetReport> {
  const input = validated(fleetBackupInputSchema, rawInput);
  const store = sharedActivities(BACKUP_STORE);
  const settings = await store.backupSettings();
  const concurrency = input.concurrency ?? settings.concurrency;
  const policy = { keepDaily: input.keepDaily ?? settings.keepDaily, keepWeekly: input.keepWeekly ?? settings.keepWeekly };
  tagRun({ operation: 'fleetBackup' });
  const startedAt = new Date().toISOString();
  const sites = (await sharedActivities(REGISTRY).listSites())
    .filter((s) => s.status === 'active' && (!input.sites || input.sites.includes(s.spec.slug)))
    .map((s) => s.spec.slug);
  const report: FleetReport = { startedAt, endedAt: '', sites: sites.length, backedUp: [], failed: [], pruned: [], verified: [], stale: [], staleAfterHours: settings.staleAfterHours };

  let done = 0;
  const settled = await boundedAll(sites, concurrency, async (site) => {
    setCurrentDetails(`backing up ${sites.length} sites, ${concurrency} at a time: ${done} done, ${report.failed.length} failed; now ${site}`);
    try {
      return await executeChild<typeof backupSite>('backupSite', { workflowId: siteWorkflowId(site), args: [{ site, reason: 'fleet', requestedBy: `fleetBackup ${workflowInfo().workflowId}` }] });
    } finally {
      done++;
    }
  });
  settled.forEach((r, i) => {
    const site = sites[i]!;
    if (r.status === 'fulfilled') report.backedUp.push(backedUp(r.value));
    else report.failed.push({ site, stage: 'backup', error: r.reason instanceof WorkflowExecutionAlreadyStartedError ? `site ${site} was busy with another operation; backed up next time` : innermostMessage(r.reason) });
  });

  setCurrentDetails(`applying retention (keep ${policy.keepDaily} daily, ${policy.keepWeekly} weekly) to ${sites.length} sites`);
  for (const site of sites) {
    try {
      const plan = await store.pruneBackups(site, policy);
      if (plan.remove.length) report.pruned.push({ site, removed: plan.remove.map((r) => r.id) });
    } catch (err) {
      report.failed.push({ site, stage: 'retention', error: innermostMessage(err) });
    }
  }

  const sample = rotatingSample(report.backedUp.map((b) => b.site), input.verifySample ?? settings.verifySample, new Date());
  for (const site of sample) {
    setCurrentDetails(`restore drill of ${site}`);
    try {
      report.verified.push(await executeChild<typeof verifyBackup>('verifyBackup', { workflowId: `verify-backup/${site}`, args: [{ site, requestedBy: 'fleetBackup' }] }));
    } catch (err) {
      report.failed.push({ site, stage: 'verify', error: innermostMessage(err) });
    }
  }

  report.stale = staleSites(await store.newestGoodBackups(sites), new Date(), settings.staleAfterHours);
  report.endedAt = new Date().toISOString();
  const summary = `${report.backedUp.length} of ${sites.length} sites backed up, ${report.failed.length} failures, ${report.stale.length} without a good backup in ${settings.staleAfterHours} h`;
  setCurrentDetails(summary);
  if (report.failed.length || report.stale.length) {
    const names = [...new Set([...report.failed.map((f) => f.site), ...report.stale.map((s) => s.site)])].sort();
    throw ApplicationFailure.create({ message: `${summary}: ${names.join(', ')}; see tutti backup report`, type: FailureType.BackupFailed, nonRetryable: true, details: [report] });
  }
  return report;
}

function backedUp(r: BackupResult) {
  return { site: r.site, backupId: r.backupId, bytes: r.dbBytes + r.filesBytes, seconds: r.seconds };
}
