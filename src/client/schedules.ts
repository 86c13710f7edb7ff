import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { SA } from '../site/searchAttributes';
import { connectClient } from './connect';

export const FLEET_BACKUP_SCHEDULE = 'tutti-fleet-backup';

/** What the Schedule should be for this configuration (also compared with what exists). */
function desired(cfg: TuttiConfig, cron: string): ScheduleOptions {
  return {
    scheduleId: FLEET_BACKUP_SCHEDULE,
    spec: { cronExpressions: [cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'fleetBackup',
      // Temporal appends the scheduled time: fleet-backup-2026-11-28T02:30:00Z.
      workflowId: 'fleet-backup',
      taskQueue: cfg.temporal.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: SA.operation, value: 'fleetBackup' },
        { key: SA.startedBy, value: 'schedule' },
      ],
    },
    // A run still going at the next night's start is left alone; a missed night (server down) runs within 6 h.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '6 hours' },
    state: { note: noteFor(cfg, cron) },
  };
}

/** The Schedule's note records what it was made from, so `up` can tell whether it is current. */
function noteFor(cfg: TuttiConfig, cron: string): string {
  return `nightly backup of every site: TUTTI_BACKUP_SCHEDULE="${cron}" (UTC), task queue ${cfg.temporal.taskQueue}; managed by npm run up`;
}

/**
 * Creates or updates the fleet backup Schedule so it matches TUTTI_BACKUP_SCHEDULE; deletes it
 * when that is `off`. Idempotent: a second call with the same configuration changes nothing.
 */
export async function ensureFleetBackupSchedule(client: Client, cfg: TuttiConfig): Promise<'created' | 'updated' | 'unchanged' | 'deleted' | 'off'> {
  const handle = client.schedule.getHandle(FLEET_BACKUP_SCHEDULE);
  let note: string | undefined;
  let exists = true;
  try {
    note = (await handle.describe()).state.note;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    exists = false;
  }
  const cron = cfg.backup.schedule;
  if (cron === null) {
    if (!exists) return 'off';
    await handle.delete();
    return 'deleted';
  }
  const want = desired(cfg, cron);
  if (!exists) {
    try {
      await client.schedule.create(want);
      return 'created';
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err; // a concurrent `up` made it: fall through to compare
      note = (await handle.describe()).state.note;
    }
  }
  if (note === noteFor(cfg, cron)) return 'unchanged';
  await handle.update((prev) => ({ ...prev, spec: want.spec, action: want.action as typeof prev.action, policies: { ...prev.policies, ...want.policies }, state: { ...prev.state, note: noteFor(cfg, cron) } }));
  return 'updated';
}

/** For `platform up`: connects, makes the Schedule match the configuration, and says what it did. */
export async function reconcileFleetBackupSchedule(cfg: TuttiConfig): Promise<string> {
  const client = await connectClient(cfg);
  try {
    const outcome = await ensureFleetBackupSchedule(client, cfg);
    if (outcome === 'off' || outcome === 'deleted') return `schedule ${FLEET_BACKUP_SCHEDULE} ${outcome === 'off' ? 'not created' : 'deleted'} (TUTTI_BACKUP_SCHEDULE=off)`;
    return `schedule ${FLEET_BACKUP_SCHEDULE} ${outcome}: "${cfg.backup.schedule}" UTC, keep ${cfg.backup.keepDaily} daily + ${cfg.backup.keepWeekly} weekly, ${cfg.backup.concurrency} at a time`;
  } finally {
    await client.connection.close();
  }
}
