import { ScheduleOverlapPolicy, WorkflowFailedError, type Client } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { describeCronSchedule, ensureCronSchedule, listCronScheduleSlugs, removeCronSchedule, type EnsureOutcome } from '../infra/cronSchedules';
import { getCronSettings, setCronSettings } from '../infra/cronSettings';
import type { Db } from '../infra/mariadb';
import { getSite, listSites, type SiteRecord } from '../infra/registry';
import { waitUntil } from '../infra/wait';
import { cronPolicy, cronScheduleId, type CronPolicy, type CronSettings } from '../site/cron';
import { profileOf } from '../site/platforms';
import type { SiteCronResult } from '../../workflows/siteCron';

export class CronError extends Error {
  override name = 'CronError';
}

async function requireSite(db: Db, slug: string): Promise<SiteRecord> {
  const site = await getSite(db, slug);
  if (!site) throw new CronError(`site ${slug} does not exist; see tutti site list`);
  return site;
}

async function scheduleOf(client: Client, slug: string) {
  const d = await describeCronSchedule(client, slug);
  if (!d) throw new CronError(`site ${slug} has no cron schedule (${cronScheduleId(slug)}); npm run up creates the missing ones`);
  return d;
}

async function policyOf(cfg: TuttiConfig, db: Db, site: SiteRecord): Promise<CronPolicy> {
  return cronPolicy(site.spec.slug, site.spec.platform, await getCronSettings(db, site.spec.slug), cfg.cron);
}

/** Brings one site's schedule to its settings. */
export async function applyCronSchedule(client: Client, cfg: TuttiConfig, db: Db, site: SiteRecord): Promise<EnsureOutcome> {
  const policy = await policyOf(cfg, db, site);
  return ensureCronSchedule(client, { slug: site.spec.slug, host: site.spec.host, policy, taskQueue: cfg.temporal.taskQueue, commands: profileOf(site.spec.platform).cron().length });
}

export interface ReconcileReport {
  created: string[];
  updated: string[];
  unchanged: number;
  /** Schedules of sites no longer in the registry. */
  removed: string[];
}

/**
 * For `npm run up`: every site in the registry (not being created or deleted) has exactly one
 * schedule matching its settings; schedules of sites that are gone are removed. IDs are fixed
 * per site, so running it again never makes a second one.
 */
export async function reconcileCronSchedules(client: Client, cfg: TuttiConfig, db: Db): Promise<ReconcileReport> {
  const report: ReconcileReport = { created: [], updated: [], unchanged: 0, removed: [] };
  const sites = await listSites(db);
  for (const site of sites) {
    if (site.status === 'creating' || site.status === 'deleting') continue;
    const outcome = await applyCronSchedule(client, cfg, db, site);
    if (outcome === 'unchanged') report.unchanged++;
    else report[outcome].push(site.spec.slug);
  }
  const known = new Set(sites.map((s) => s.spec.slug));
  for (const slug of await listCronScheduleSlugs(client)) {
    if (!known.has(slug) && (await removeCronSchedule(client, slug))) report.removed.push(slug);
  }
  return report;
}

/** `tutti cron set`: stores the site's settings (null: back to the default) and updates its schedule. */
export async function setCron(client: Client, cfg: TuttiConfig, db: Db, slug: string, fields: Partial<CronSettings>): Promise<{ policy: CronPolicy; outcome: EnsureOutcome }> {
  const site = await requireSite(db, slug);
  await setCronSettings(db, slug, fields);
  const outcome = await applyCronSchedule(client, cfg, db, site);
  return { policy: await policyOf(cfg, db, site), outcome };
}

export async function pauseCron(client: Client, slug: string, note: string): Promise<void> {
  await scheduleOf(client, slug);
  await client.schedule.getHandle(cronScheduleId(slug)).pause(note);
}

export async function resumeCron(client: Client, slug: string, note: string): Promise<void> {
  await scheduleOf(client, slug);
  await client.schedule.getHandle(cronScheduleId(slug)).unpause(note);
}

export interface CronRunSummary {
  workflowId: string;
  runId: string;
  /** The schedule's nominal time for the run (or the trigger time). */
  scheduledAt: string;
  status: string;
  startedAt?: string;
  closedAt?: string;
  outcome?: SiteCronResult['outcome'];
  /** Why it was skipped, or the failure message with the output's tail. */
  detail?: string;
  /** A completed run's commands (Drupal: drush cron; CiviCRM: its scheduled jobs), each with how it ended. */
  commands?: { command: string; exitCode: number; seconds: number; outcome: string }[];
}

export interface CronStatus {
  site: string;
  schedule: string;
  paused: boolean;
  note?: string;
  every: number;
  timeout: number;
  nextRun?: string;
  lastRun?: CronRunSummary;
  running: string[];
  runsStarted: number;
  /** Fires skipped because the previous run was still going (overlap policy SKIP). */
  skipped: number;
  /** Fires missed while Temporal was down, older than the catch-up window. */
  missed: number;
}

/** Last run, its result, next run and the skip count, from the schedule and the last run's history. */
export async function cronStatus(client: Client, cfg: TuttiConfig, db: Db, slug: string): Promise<CronStatus> {
  const site = await requireSite(db, slug);
  const d = await scheduleOf(client, slug);
  const policy = await policyOf(cfg, db, site);
  const last = d.info.recentActions.at(-1);
  return {
    site: slug,
    schedule: cronScheduleId(slug),
    paused: d.state.paused,
    note: d.state.note,
    every: policy.everySeconds,
    timeout: policy.timeoutSeconds,
    nextRun: d.state.paused ? undefined : d.info.nextActionTimes[0]?.toISOString(),
    lastRun: last ? await summarizeRun(client, last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId, last.scheduledAt) : undefined,
    running: d.info.runningActions.map((a) => a.workflow.workflowId),
    runsStarted: d.info.numActionsTaken,
    skipped: d.info.numActionsSkippedOverlap,
    missed: d.info.numActionsMissedCatchupWindow,
  };
}

export async function summarizeRun(client: Client, workflowId: string, runId: string, scheduledAt: Date): Promise<CronRunSummary> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const desc = await handle.describe();
  const summary: CronRunSummary = { workflowId, runId, scheduledAt: scheduledAt.toISOString(), status: desc.status.name, startedAt: desc.startTime.toISOString(), closedAt: desc.closeTime?.toISOString() };
  if (desc.status.name === 'COMPLETED') {
    const result = (await handle.result()) as SiteCronResult;
    summary.outcome = result.outcome;
    summary.detail = result.reason;
    summary.commands = result.commands.map(({ command, exitCode, seconds, outcome }) => ({ command, exitCode, seconds, outcome }));
  } else if (desc.status.name === 'FAILED') {
    summary.outcome = 'failed';
    summary.detail = await handle.result().then(() => undefined, (err: unknown) => (err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err)));
  }
  return summary;
}

/**
 * `tutti cron run`: fires the site's schedule now with overlap SKIP (so it never runs beside a
 * scheduled run) and returns the run it started, or the run already under way.
 */
export async function triggerCron(client: Client, slug: string): Promise<{ started: CronRunSummary } | { busy: string }> {
  const before = await scheduleOf(client, slug);
  if (before.info.runningActions[0]) return { busy: before.info.runningActions[0].workflow.workflowId };
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
  await client.schedule.getHandle(cronScheduleId(slug)).trigger(ScheduleOverlapPolicy.SKIP);
  const found = await waitUntil(
    `a run of ${cronScheduleId(slug)} after the trigger`,
    async () => {
      const d = await scheduleOf(client, slug);
      const fresh = d.info.recentActions.find((a) => !seen.has(a.action.workflow.workflowId));
      if (fresh) return { started: fresh };
      // Skipped: a scheduled run started between our look and the trigger.
      if (d.info.runningActions[0]) return { busy: d.info.runningActions[0].workflow.workflowId };
      return undefined;
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  if ('busy' in found) return { busy: found.busy! };
  const a = found.started!;
  return { started: { workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId, scheduledAt: a.scheduledAt.toISOString(), status: 'RUNNING' } };
}

/** Waits for a run to close and summarizes it. */
export async function waitForRun(client: Client, run: CronRunSummary): Promise<CronRunSummary> {
  await client.workflow
    .getHandle(run.workflowId, run.runId)
    .result()
    .catch(() => undefined);
  return summarizeRun(client, run.workflowId, run.runId, new Date(run.scheduledAt));
}
