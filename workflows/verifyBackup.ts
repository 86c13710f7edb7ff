import { ApplicationFailure, executeChild, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { drillSite, verifyBackupInputSchema, type VerifyBackupInput } from '../src/backup/inputs';
import { innermostMessage } from '../src/backup/report';
import { FailureType } from '../src/site/errors';
import { siteWorkflowId } from '../src/site/names';
import { BACKUP_STORE } from './backupSite';
import { REGISTRY, tagRun, validated, recordStart } from './common';
import type { deleteSite } from './deleteSite';
import { sharedActivities } from './hostActivities';
import type { restoreSite, RestoreResult } from './restoreSite';

export interface VerifyResult {
  site: string;
  backupId: string;
  ok: boolean;
  /** Wall time of the restore into the throwaway site, checks included. */
  restoreSeconds: number | null;
  detail: string;
}

/**
 * The restore drill: restores a backup (default: the newest good one) into a throwaway site on a
 * `.invalid` domain, which must answer through its own Varnish route with the site's title and
 * the manifest's counts; records how long that took beside the backup; removes the throwaway.
 * Runs under `verify-backup/<slug>`, so it does not block the site's own operations.
 */
export async function verifyBackup(rawInput: VerifyBackupInput): Promise<VerifyResult> {
  const input = validated(verifyBackupInputSchema, rawInput);
  const store = sharedActivities(BACKUP_STORE);
  const registry = sharedActivities(REGISTRY);
  tagRun({ site: input.site, operation: 'verifyBackup' });
  await recordStart({ slug: input.site, operation: 'verifyBackup', requestedBy: input.requestedBy });
  const backupId = input.backupId ?? (await store.listBackups(input.site)).find((b) => b.state === 'good')?.id;
  if (!backupId) {
    const why = `site ${input.site} has no good backup to verify; take one with tutti backup create ${input.site}`;
    await registry.auditEnd('failed', why);
    throw ApplicationFailure.nonRetryable(why, FailureType.BackupNotFound);
  }
  const drill = drillSite(input.site, backupId);
  setCurrentDetails(`restoring ${input.site}/${backupId} into throwaway site ${drill.slug} (${drill.domain})`);
  const started = Date.now();
  let result: VerifyResult;
  let restored: RestoreResult | undefined;
  try {
    restored = await executeChild<typeof restoreSite>('restoreSite', {
      workflowId: siteWorkflowId(drill.slug),
      args: [{ site: input.site, backupId, to: drill.domain, slug: drill.slug, requestedBy: `verifyBackup ${workflowInfo().workflowId}` }],
    });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    result = { site: input.site, backupId, ok: true, restoreSeconds: seconds, detail: `restored in ${seconds} s: ${restored.rows} rows and ${restored.files} files match the manifest; ${drill.domain} answered through Varnish${restored.checks?.length ? `; ${restored.checks.join('; ')}` : ''}` };
  } catch (err) {
    result = { site: input.site, backupId, ok: false, restoreSeconds: null, detail: `restore drill failed: ${innermostMessage(err)}` };
  }
  if (restored) {
    setCurrentDetails(`removing throwaway site ${drill.slug}`);
    await executeChild<typeof deleteSite>('deleteSite', { workflowId: siteWorkflowId(drill.slug), args: [{ site: drill.slug, finalBackup: false, requestedBy: 'verifyBackup' }] });
  }
  await store.recordVerification(input.site, { backupId, ok: result.ok, checkedAt: new Date().toISOString(), restoreSeconds: result.restoreSeconds, detail: result.detail });
  setCurrentDetails(result.detail);
  await registry.auditEnd(result.ok ? 'completed' : 'failed', result.detail);
  if (!result.ok) throw ApplicationFailure.create({ message: result.detail, type: FailureType.RestoreDrillFailed, nonRetryable: true, details: [result] });
  return result;
}
