import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { SA } from '../site/searchAttributes';
import { connectClient } from './connect';

export const CERT_RENEWAL_SCHEDULE = 'tutti-cert-renewal';

function noteFor(cfg: TuttiConfig, cron: string): string {
  return `certificate renewal of every HTTPS site (each renewed at 2/3 of its lifetime): TUTTI_CERT_RENEW_SCHEDULE="${cron}" (UTC), task queue ${cfg.temporal.taskQueue}; managed by npm run up`;
}

function desired(cfg: TuttiConfig, cron: string): ScheduleOptions {
  return {
    scheduleId: CERT_RENEWAL_SCHEDULE,
    spec: { cronExpressions: [cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'renewCertificates',
      // Temporal appends the scheduled time: cert-renewal-2026-11-28T03:17:00Z.
      workflowId: 'cert-renewal',
      taskQueue: cfg.temporal.taskQueue,
      args: [{}],
      typedSearchAttributes: [
        { key: SA.operation, value: 'renewCertificates' },
        { key: SA.startedBy, value: 'schedule' },
      ],
    },
    // Runs are cheap and each renews only what is due: a missed one is made up within a day.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    state: { note: noteFor(cfg, cron) },
  };
}

/** Creates, updates or (with `off`) deletes the renewal Schedule so it matches the configuration. */
export async function ensureCertRenewalSchedule(client: Client, cfg: TuttiConfig): Promise<'created' | 'updated' | 'unchanged' | 'deleted' | 'off'> {
  const handle = client.schedule.getHandle(CERT_RENEWAL_SCHEDULE);
  let note: string | undefined;
  let exists = true;
  try {
    note = (await handle.describe()).state.note;
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    exists = false;
  }
  const cron = cfg.tls.acme.directoryUrl ? cfg.tls.renewSchedule : null;
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
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      note = (await handle.describe()).state.note;
    }
  }
  if (note === noteFor(cfg, cron)) return 'unchanged';
  await handle.update((prev) => ({ ...prev, spec: want.spec, action: want.action as typeof prev.action, policies: { ...prev.policies, ...want.policies }, state: { ...prev.state, note: noteFor(cfg, cron) } }));
  return 'updated';
}

export async function reconcileCertRenewalSchedule(cfg: TuttiConfig): Promise<string> {
  const client = await connectClient(cfg);
  try {
    const outcome = await ensureCertRenewalSchedule(client, cfg);
    if (outcome === 'off' || outcome === 'deleted') return `schedule ${CERT_RENEWAL_SCHEDULE} ${outcome === 'off' ? 'not created' : 'deleted'} (ACME or TUTTI_CERT_RENEW_SCHEDULE off)`;
    return `schedule ${CERT_RENEWAL_SCHEDULE} ${outcome}: "${cfg.tls.renewSchedule}" UTC`;
  } finally {
    await client.connection.close();
  }
}
