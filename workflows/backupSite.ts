import { ActivityCancellationType, ApplicationFailure, CancellationScope, isCancellation, log, setCurrentDetails, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { backupIdFor } from '../src/backup/ids';
import { backupSiteInputSchema, type BackupSiteInput } from '../src/backup/inputs';
import { buildManifest, type BackupReason } from '../src/backup/manifest';
import type { SiteRecord } from '../src/infra/registry';
import { FailureType } from '../src/site/errors';
import { errorMessage, REGISTRY, requireSiteWorkflowId, tagRun, validated, recordStart } from './common';
import { hostActivities, sharedActivities } from './hostActivities';

/**
 * Dumps and uploads of any size: they heartbeat every second (a lost worker is noticed within
 * 10 s and the step retried with the same backup ID), and a cancelled workflow waits until the
 * activity has aborted its upload.
 */
export const BACKUP_TRANSFER: ActivityOptions = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '10 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 4, initialInterval: '5 seconds', maximumInterval: '1 minute' },
};

/** S3-only steps (manifest, listings, retention). */
export const BACKUP_STORE: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
};

export interface BackupResult {
  site: string;
  backupId: string;
  /** s3:// URL of the manifest. */
  manifest: string;
  dbBytes: number;
  filesBytes: number;
  /** Bytes before compression: the dump and the tar stream. */
  rawBytes: number;
  tables: number;
  rows: number;
  files: number;
  seconds: number;
}

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

/**
 * Takes one backup of a site: database dump, files archive, then the manifest, last. The ID comes
 * from the calling run, so a replay or retry never makes a second backup. Used by backupSite and
 * by deleteSite (its final backup), both running under the site's workflow ID.
 */
export async function takeBackup(site: SiteRecord, reason: BackupReason): Promise<BackupResult> {
  const spec = site.spec;
  const info = workflowInfo();
  const backupId = backupIdFor(info.startTime, info.runId);
  const onHost = hostActivities(spec.host, BACKUP_TRANSFER);
  const store = sharedActivities(BACKUP_STORE);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const part = { slug: spec.slug, host: spec.host, generation: site.generation, backupId };

  setCurrentDetails(`${spec.slug}: backup ${backupId}: dumping and uploading the database`);
  const db = await onHost.dumpDatabase(part);
  setCurrentDetails(`${spec.slug}: backup ${backupId}: database uploaded (${mb(db.object.rawBytes)} dump, ${mb(db.object.bytes)} stored); archiving files`);
  const files = await onHost.archiveFiles(part);
  setCurrentDetails(`${spec.slug}: backup ${backupId}: files uploaded (${mb(files.object.bytes)}); writing the manifest`);
  const manifest = buildManifest({ backupId, spec, generation: site.generation, imageId: site.imageId, reason, startedAt, endedAt: new Date().toISOString(), db, files });
  const location = await store.writeManifest(manifest);
  const result: BackupResult = {
    site: spec.slug,
    backupId,
    manifest: location,
    dbBytes: db.object.bytes,
    filesBytes: files.object.bytes,
    rawBytes: db.object.rawBytes + files.object.rawBytes,
    tables: db.counts.tables,
    rows: Object.values(db.rows).reduce((a, b) => a + b, 0),
    files: files.entries,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  setCurrentDetails(`${spec.slug}: backup ${backupId} complete: ${mb(result.dbBytes + result.filesBytes)} in ${result.seconds} s`);
  log.info('backup complete', { backupId, reason, dbBytes: result.dbBytes, filesBytes: result.filesBytes, seconds: result.seconds });
  return result;
}

/** Backs up one site's database and files to S3, with a manifest written last. ID `site/<slug>`. */
export async function backupSite(rawInput: BackupSiteInput): Promise<BackupResult> {
  const input = validated(backupSiteInputSchema, rawInput);
  requireSiteWorkflowId(input.site);
  const registry = sharedActivities(REGISTRY);
  const site = await registry.getSite(input.site);
  if (!site) throw ApplicationFailure.nonRetryable(`site ${input.site} does not exist; see tutti site list (its old backups: tutti backup list ${input.site})`, FailureType.SiteNotFound);
  tagRun({ site: site.spec.slug, domains: site.spec.domains, host: site.spec.host, operation: 'backupSite' });
  await recordStart({ slug: input.site, operation: 'backupSite', requestedBy: input.requestedBy });
  try {
    const result = await takeBackup(site, input.reason);
    await registry.auditEnd('completed', `backup ${result.backupId} (${input.reason}): ${mb(result.dbBytes)} database, ${mb(result.filesBytes)} files`);
    return result;
  } catch (err) {
    await CancellationScope.nonCancellable(() => registry.auditEnd(isCancellation(err) ? 'cancelled' : 'failed', errorMessage(err)));
    throw err;
  }
}
