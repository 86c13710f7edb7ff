import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { OBJECT, backupPrefix, objectKey, sitePrefix } from '../src/backup/layout';
import { ManifestError, manifestSchema, parseManifest, type Manifest, type Verification } from '../src/backup/manifest';
import { planRetention, type RetentionPlan } from '../src/backup/retention';
import { listSiteBackups, type BackupListing } from '../src/infra/backupCatalog';
import { BackupBucket, ObjectExistsError } from '../src/infra/backupStore';
import { FailureType } from '../src/site/errors';
import type { TuttiConfig } from '../src/config';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { missingObject, wrongSize } from './objectCheck';

/** A backup as workflows see it: small enough for history. */
export interface BackupSummary {
  id: string;
  state: BackupListing['state'];
  problem?: string;
  bytes: number;
  verified?: { ok: boolean; checkedAt: string; restoreSeconds: number | null };
}

/** Backup steps that only talk to S3; they run on the shared queue. */
export function createBackupStoreActivities(deps: ActivityDeps) {
  const { cfg } = deps;
  const bucket = () => new BackupBucket(deps.s3(), cfg.s3.bucket);
  const prefix = cfg.s3.prefix;

  return classified({
    async backupSettings(): Promise<TuttiConfig['backup']> {
      return cfg.backup;
    },

    /**
     * Writes the manifest, last: only after checking each object it names is in the bucket with
     * its size. Written once: the same manifest again is a no-op, a different one is refused.
     */
    async writeManifest(manifest: Manifest): Promise<string> {
      const m = manifestSchema.parse(manifest);
      for (const o of [m.objects.db, m.objects.files]) {
        const head = await bucket().head(objectKey(prefix, m.site, m.backupId, o.name));
        if (head?.size !== o.bytes) {
          throw ApplicationFailure.nonRetryable(`${o.name} of backup ${m.backupId} has ${head ? `${head.size} bytes` : 'vanished'}, expected ${o.bytes}; the backup is not recorded`, FailureType.BackupIncomplete);
        }
      }
      const key = objectKey(prefix, m.site, m.backupId, OBJECT.manifest);
      try {
        await bucket().putOnce(key, JSON.stringify(m, null, 2) + '\n');
      } catch (err) {
        if (err instanceof ObjectExistsError) throw ApplicationFailure.nonRetryable(err.message, FailureType.BackupCorrupt);
        throw err;
      }
      log.info('backup manifest written', { backupId: m.backupId, key, bytes: m.objects.db.bytes + m.objects.files.bytes });
      deps.onBackupWritten?.(m);
      return `s3://${cfg.s3.bucket}/${key}`;
    },

    /**
     * Reads and checks a backup before anything is restored from it: the manifest parses and
     * belongs to this site and ID, and every object is there with the manifest's size. The SHA-256
     * of each object is checked by the load that reads it (one pass, not two), and nothing is
     * switched to unless it matched. Missing: BackupNotFound; no manifest: BackupIncomplete; any
     * mismatch: BackupCorrupt. All non-retryable.
     */
    async verifyBackup(slug: string, backupId: string): Promise<Manifest> {
      const folder = backupPrefix(prefix, slug, backupId);
      const text = await bucket().readText(`${folder}${OBJECT.manifest}`);
      if (text === undefined) {
        const objects = await bucket().list(folder);
        if (!objects.length) throw ApplicationFailure.nonRetryable(`site ${slug} has no backup ${backupId} in s3://${cfg.s3.bucket}/${folder}; see tutti backup list ${slug}`, FailureType.BackupNotFound);
        throw ApplicationFailure.nonRetryable(`backup ${backupId} of site ${slug} has no manifest: it never finished and cannot be restored; pick another with tutti backup list ${slug}`, FailureType.BackupIncomplete);
      }
      let manifest: Manifest;
      try {
        manifest = parseManifest(text, { slug, backupId });
      } catch (err) {
        if (err instanceof ManifestError) throw ApplicationFailure.nonRetryable(err.message, FailureType.BackupCorrupt);
        throw err;
      }
      for (const o of [manifest.objects.db, manifest.objects.files]) {
        const key = `${folder}${o.name}`;
        const head = await bucket().head(key);
        if (!head) throw missingObject(o, { slug, backupId });
        if (head.size !== o.bytes) throw wrongSize(o, { slug, backupId }, head.size);
      }
      return manifest;
    },

    /** A site's backups, newest first, from the bucket alone. */
    async listBackups(slug: string): Promise<BackupSummary[]> {
      return (await listSiteBackups(bucket(), prefix, slug)).map(summarize);
    },

    /** Newest good backup of each site (null when none), for the fleet report. */
    async newestGoodBackups(slugs: string[]): Promise<{ site: string; newestGood: string | null }[]> {
      const out: { site: string; newestGood: string | null }[] = [];
      for (const site of slugs) out.push({ site, newestGood: (await listSiteBackups(bucket(), prefix, site)).find((b) => b.state === 'good')?.id ?? null });
      return out;
    },

    /**
     * Applies the retention policy to one site: removes what the plan removes (the newest good
     * backup is never among it) and aborts multipart uploads older than a day.
     */
    async pruneBackups(slug: string, policy: { keepDaily: number; keepWeekly: number }): Promise<RetentionPlan> {
      const listing = await listSiteBackups(bucket(), prefix, slug);
      const plan = planRetention(listing.map((b) => ({ id: b.id, good: b.state === 'good' })), policy, new Date());
      for (const r of plan.remove) await bucket().removeFolder(backupPrefix(prefix, slug, r.id), OBJECT.manifest);
      await bucket().abortUploads(sitePrefix(prefix, slug), new Date(Date.now() - 86_400_000));
      return plan;
    },

    /** Records a restore drill's outcome beside the backup's manifest. */
    async recordVerification(slug: string, v: Verification): Promise<void> {
      await bucket().put(objectKey(prefix, slug, v.backupId, OBJECT.verification), JSON.stringify(v, null, 2) + '\n');
    },
  });
}

function summarize(b: BackupListing): BackupSummary {
  return {
    id: b.id,
    state: b.state,
    ...(b.problem ? { problem: b.problem } : {}),
    bytes: b.bytes,
    ...(b.verification ? { verified: { ok: b.verification.ok, checkedAt: b.verification.checkedAt, restoreSeconds: b.verification.restoreSeconds } } : {}),
  };
}

export type BackupStoreActivities = ReturnType<typeof createBackupStoreActivities>;
