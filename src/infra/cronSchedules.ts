import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { cronScheduleId, cronWorkflowId, slugOfCronSchedule, type CronPolicy } from '../site/cron';
import { SA } from '../site/searchAttributes';

/**
 * The Temporal Schedule of each site's cron: one per site, ID `cron-<slug>`, starting
 * `siteCron` every interval with overlap SKIP. `ensureCronSchedule` creates it or brings its
 * spec, action and policies to what is wanted, never touching whether it is paused.
 */

/** Marks schedules Tutti made for site crons, so reconciliation only removes its own. */
const MEMO = { tutti: 'site-cron' };

export interface CronScheduleTarget {
  slug: string;
  host: string;
  policy: CronPolicy;
  /** The orchestrator's task queue, where siteCron runs. */
  taskQueue: string;
  /** Commands the platform's cron runs; bounds the run's total time. */
  commands: number;
}

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

function wanted(t: CronScheduleTarget) {
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: 'siteCron',
    workflowId: cronWorkflowId(t.slug),
    taskQueue: t.taskQueue,
    args: [{ site: t.slug }],
    // Each command has its own limit; this only ends a run stuck without a worker, so later runs are no longer skipped.
    workflowExecutionTimeout: (t.policy.timeoutSeconds * t.commands + 600) * 1000,
    staticSummary: `Cron of site ${t.slug}`,
    typedSearchAttributes: [
      { key: SA.site, value: t.slug },
      { key: SA.host, value: t.host },
      { key: SA.operation, value: 'siteCron' },
    ],
  };
  return {
    spec: { intervals: [{ every: t.policy.everySeconds * 1000, offset: t.policy.offsetSeconds * 1000 }] },
    action,
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: t.policy.catchupWindowSeconds * 1000, pauseOnFailure: false },
  };
}

/** The fields that matter, in a comparable form. */
function fingerprint(d: { every?: number; offset?: number; catchup?: number; overlap?: string; action: Record<string, unknown>; host?: unknown }): string {
  const a = d.action;
  return JSON.stringify([d.every, d.offset ?? 0, d.catchup, d.overlap, a.workflowType, a.workflowId, a.taskQueue, a.args, a.workflowExecutionTimeout, d.host]);
}

function fingerprintOfWanted(w: ReturnType<typeof wanted>, host: string): string {
  const i = w.spec.intervals[0]!;
  return fingerprint({ every: i.every, offset: i.offset, catchup: w.policies.catchupWindow, overlap: w.policies.overlap, action: w.action as unknown as Record<string, unknown>, host });
}

function fingerprintOfCurrent(d: ScheduleDescription): string {
  const i = d.spec.intervals?.[0];
  const sa = d.action.typedSearchAttributes;
  const host = Array.isArray(sa) ? sa.find((p) => p.key.name === SA.host.name)?.value : sa?.get(SA.host);
  return fingerprint({ every: i?.every, offset: i?.offset, catchup: d.policies.catchupWindow, overlap: d.policies.overlap, action: d.action as unknown as Record<string, unknown>, host });
}

/** Creates the site's schedule, or updates it when its spec, action or policies differ; a paused schedule stays paused. */
export async function ensureCronSchedule(client: Client, t: CronScheduleTarget): Promise<EnsureOutcome> {
  const scheduleId = cronScheduleId(t.slug);
  const w = wanted(t);
  try {
    await client.schedule.create({
      scheduleId,
      ...w,
      memo: { ...MEMO, site: t.slug },
      typedSearchAttributes: [{ key: SA.site, value: t.slug }, { key: SA.operation, value: 'siteCron' }],
      state: { paused: false, note: 'created by Tutti' },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  if (fingerprintOfCurrent(await handle.describe()) === fingerprintOfWanted(w, t.host)) return 'unchanged';
  await handle.update((prev) => ({
    ...w,
    state: { paused: prev.state.paused, note: prev.state.note, remainingActions: prev.state.remainingActions },
    typedSearchAttributes: prev.typedSearchAttributes,
  }));
  return 'updated';
}

/** Deletes the site's schedule; false when there was none. Runs already started finish on their own. */
export async function removeCronSchedule(client: Client, slug: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(cronScheduleId(slug)).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

export async function describeCronSchedule(client: Client, slug: string): Promise<ScheduleDescription | undefined> {
  try {
    return await client.schedule.getHandle(cronScheduleId(slug)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** Slugs of every site-cron schedule Tutti made in this namespace. */
export async function listCronScheduleSlugs(client: Client): Promise<string[]> {
  const slugs: string[] = [];
  for await (const s of client.schedule.list()) {
    const slug = slugOfCronSchedule(s.scheduleId);
    if (slug && s.memo?.tutti === MEMO.tutti) slugs.push(slug);
  }
  return slugs.sort();
}
