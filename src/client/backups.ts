import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { join } from 'node:path';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { readSecretFile, type TuttiConfig } from '../config';
import { staleSites, type SiteBackupStatus } from '../backup/report';
import { listSiteBackups, type BackupListing } from '../infra/backupCatalog';
import { BackupBucket } from '../infra/backupStore';
import { createDbPool } from '../infra/mariadb';
import { listSites } from '../infra/registry';
import { createS3 } from '../infra/s3';
import { MARIADB_ROOT_PASSWORD } from '../site/names';
import type { FleetReport } from '../../workflows/fleetBackup';
import { failureLine } from './follow';
import { backupSiteInputSchema, fleetBackupInputSchema, restoreSiteInputSchema, verifyBackupInputSchema, type BackupSiteInput, type FleetBackupInput, type RestoreSiteInput, type VerifyBackupInput } from '../backup/inputs';
import { slugFromDomain } from '../site/spec';
import { parseInput } from '../site/validate';
import { SiteBusyError, startSiteOperation } from './sites';
import { tuttiStartOptions } from './start';

/** Starts backupSite under `site/<slug>`; a busy site fails with {@link SiteBusyError}. */
export async function startBackupSite(client: Client, cfg: TuttiConfig, input: BackupSiteInput) {
  const i = parseInput(backupSiteInputSchema, input);
  return startSiteOperation(client, cfg, 'backupSite', i.site, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Back up site ${i.site}`);
}

/** Starts restoreSite under the target's ID: the site itself, or the new site of `to`. */
export async function startRestoreSite(client: Client, cfg: TuttiConfig, input: RestoreSiteInput) {
  const i = parseInput(restoreSiteInputSchema, input);
  const target = i.to ? (i.slug ?? slugFromDomain(i.to)) : i.site;
  const summary = i.to ? `Restore ${i.site}/${i.backupId} as new site ${target} (${i.to})` : `Restore site ${i.site} from backup ${i.backupId}`;
  return startSiteOperation(client, cfg, 'restoreSite', target, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, summary);
}

/** Starts a restore drill under `verify-backup/<slug>` (one drill per site at a time). */
export async function startVerifyBackup(client: Client, cfg: TuttiConfig, input: VerifyBackupInput): Promise<WorkflowHandle> {
  const i = parseInput(verifyBackupInputSchema, input);
  return startOnce(client, cfg, 'verifyBackup', `verify-backup/${i.site}`, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Restore drill of ${i.site}`, i.site);
}

/** Starts a fleet backup now, as the Schedule would (ID `fleet-backup/<ISO time>`). */
export async function startFleetBackup(client: Client, cfg: TuttiConfig, input: FleetBackupInput = {}): Promise<WorkflowHandle> {
  parseInput(fleetBackupInputSchema, input);
  return startOnce(client, cfg, 'fleetBackup', `fleet-backup/${new Date().toISOString()}`, input, 'Fleet backup started by hand');
}

async function startOnce(client: Client, cfg: TuttiConfig, type: string, workflowId: string, input: object, summary: string, site?: string): Promise<WorkflowHandle> {
  try {
    return await client.workflow.start(type, { ...tuttiStartOptions(cfg, { workflowType: type, workflowId, input, summary, site }), workflowIdConflictPolicy: 'FAIL' });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new SiteBusyError(`${workflowId} is already running; wait for it or cancel it in the UI`);
    throw err;
  }
}

/** Progress an activity of the run heartbeated: `{ step, bytesDone, bytesTotal? }`. */
export interface TransferProgress {
  step: string;
  bytesDone: number;
  bytesTotal?: number;
}

/** The run's current details and the heartbeat of its pending transfer, if one is running (decoded like any payload: they may be encrypted). */
export async function readProgress(client: Client, handle: WorkflowHandle): Promise<{ details: string; transfer?: TransferProgress }> {
  const d = await handle.describe();
  let details = '';
  try {
    details = ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
  } catch {
    // closed between describe and query
  }
  for (const a of d.raw.pendingActivities ?? []) {
    const payloads = a.heartbeatDetails?.payloads;
    if (!payloads?.length) continue;
    const p = await decodeFromPayloadsAtIndex<TransferProgress | undefined>(client.options.loadedDataConverter, 0, payloads).catch(() => undefined);
    if (p && typeof p.bytesDone === 'number') return { details, transfer: p };
  }
  return { details };
}

export interface FleetRunSummary {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  report?: FleetReport;
  error?: string;
}

/** The newest fleetBackup run (scheduled or by hand) and its report, from a result or from a failure's details. */
export async function lastFleetRun(client: Client): Promise<FleetRunSummary | undefined> {
  let newest: { workflowId: string; runId: string; status: string; startTime: Date } | undefined;
  let seen = 0;
  for await (const w of client.workflow.list({ query: "WorkflowType = 'fleetBackup'" })) {
    if (!newest || w.startTime > newest.startTime) newest = { workflowId: w.workflowId, runId: w.runId, status: w.status.name, startTime: w.startTime };
    if (++seen >= 200) break;
  }
  if (!newest) return undefined;
  const out: FleetRunSummary = { workflowId: newest.workflowId, runId: newest.runId, status: newest.status, startTime: newest.startTime.toISOString() };
  if (newest.status === 'RUNNING') return out;
  try {
    out.report = (await client.workflow.getHandle(newest.workflowId, newest.runId).result()) as FleetReport;
  } catch (err) {
    out.error = failureLine(err);
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.details?.[0]) out.report = err.cause.details[0] as FleetReport;
  }
  return out;
}

/** Every registered site's newest good backup, read from the bucket now, and those older than the limit. */
export async function liveBackupStatus(cfg: TuttiConfig, now = new Date()): Promise<{ sites: { site: string; newestGood: string | null }[]; stale: SiteBackupStatus[] }> {
  const db = createDbPool({ host: '127.0.0.1', port: cfg.mariadb.port, user: 'root', password: readSecretFile(join(cfg.dataDir, 'secrets', MARIADB_ROOT_PASSWORD)) });
  const s3 = createS3(cfg.s3, readSecretFile(cfg.s3.secretAccessKeyFile));
  try {
    const bucket = new BackupBucket(s3, cfg.s3.bucket);
    const sites: { site: string; newestGood: string | null }[] = [];
    for (const s of await listSites(db)) {
      if (s.status !== 'active') continue;
      sites.push({ site: s.spec.slug, newestGood: (await listSiteBackups(bucket, cfg.s3.prefix, s.spec.slug)).find((b) => b.state === 'good')?.id ?? null });
    }
    return { sites, stale: staleSites(sites, now, cfg.backup.staleAfterHours) };
  } finally {
    await db.end();
    s3.destroy();
  }
}

/** A site's backups straight from the bucket: works on a control plane that has never seen the site. */
export async function listBackupsInBucket(cfg: TuttiConfig, slug: string): Promise<BackupListing[]> {
  const s3 = createS3(cfg.s3, readSecretFile(cfg.s3.secretAccessKeyFile));
  try {
    return await listSiteBackups(new BackupBucket(s3, cfg.s3.bucket), cfg.s3.prefix, slug);
  } finally {
    s3.destroy();
  }
}
