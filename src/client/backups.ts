import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TuttiConfig } from '../config';
import { backupSiteInputSchema, fleetBackupInputSchema, restoreSiteInputSchema, verifyBackupInputSchema, type BackupSiteInput, type FleetBackupInput, type RestoreSiteInput, type VerifyBackupInput } from '../backup/inputs';
import { SA } from '../site/searchAttributes';
import { slugFromDomain } from '../site/spec';
import { parseInput } from '../site/validate';
import { SiteBusyError, startSiteOperation } from './sites';

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
    return await client.workflow.start(type, {
      taskQueue: cfg.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: summary,
      typedSearchAttributes: [{ key: SA.operation, value: type }, { key: SA.startedBy, value: cfg.temporal.identity }, ...(site ? [{ key: SA.site, value: site }] : [])],
    });
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

/** The run's current details and the heartbeat of its pending transfer, if one is running. */
export async function readProgress(handle: WorkflowHandle): Promise<{ details: string; transfer?: TransferProgress }> {
  const d = await handle.describe();
  let details = '';
  try {
    details = ((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
  } catch {
    // closed between describe and query
  }
  for (const a of d.raw.pendingActivities ?? []) {
    const payload = a.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const p = defaultPayloadConverter.fromPayload<TransferProgress>(payload as never);
    if (p && typeof p.bytesDone === 'number') return { details, transfer: p };
  }
  return { details };
}
