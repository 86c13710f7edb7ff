import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { ensureCronSchedule, removeCronSchedule, type EnsureOutcome } from '../src/infra/cronSchedules';
import { forgetCronSettings, getCronSettings } from '../src/infra/cronSettings';
import { inspectContainer } from '../src/infra/docker';
import { execStream } from '../src/infra/dockerExec';
import { getSite } from '../src/infra/registry';
import { CRON_LOCK_BUSY_EXIT, CRON_TIMEOUT_EXIT, cronBlockedBy, cronPolicy, guardedCronArgv, outputTail } from '../src/site/cron';
import { FailureType } from '../src/site/errors';
import { siteWorkflowId } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import type { Platform } from '../src/site/validate';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

/** Where and how a cron may run now, or why it must not. */
export type CronTarget =
  | { run: true; host: string; container: string; platform: Platform; timeoutSeconds: number }
  | { run: false; reason: string };

export interface CronCommandReport {
  /** The platform's command, without the lock and time-limit wrapper. */
  command: string;
  exitCode: number;
  seconds: number;
  outcome: 'ok' | 'failed' | 'timed-out' | 'busy';
  outputTail: string;
}

/** Keeps the last `max` bytes of a stream: a noisy cron must not fill the worker's memory. */
function tailCollector(max = 64 * 1024) {
  let buf = Buffer.alloc(0);
  return {
    push(b: Buffer) {
      buf = Buffer.concat([buf, b]);
      if (buf.length > max) buf = buf.subarray(buf.length - max);
    },
    text: () => buf.toString('utf8'),
  };
}

function outcomeOf(exitCode: number, seconds: number, limitSeconds: number): CronCommandReport['outcome'] {
  if (exitCode === 0) return 'ok';
  if (exitCode === CRON_LOCK_BUSY_EXIT) return 'busy';
  // timeout(1): 124 after TERM, 137 when the grace period ended in KILL (137 before the limit is another kill, e.g. out of memory)
  if (exitCode === CRON_TIMEOUT_EXIT || (exitCode === 137 && seconds >= limitSeconds)) return 'timed-out';
  return 'failed';
}

/** Site crons: the preflight (registry + lifecycle lock), the run in the web container, and the site's Schedule. */
export function createCronActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;
  const client = (): Client => Context.current().client;

  async function runningLifecycle(slug: string): Promise<{ type: string; startTime: string } | undefined> {
    try {
      const d = await client().workflow.getHandle(siteWorkflowId(slug)).describe();
      return d.status.name === 'RUNNING' ? { type: d.type, startTime: d.startTime.toISOString() } : undefined;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  return classified({
    /**
     * Whether the site's cron may run now. It does not when the site is not active, has no live
     * container, or a lifecycle operation that swaps containers or data (upgrade, restore,
     * migrate, …) holds `site/<slug>`: the cron would run against a half-swapped site.
     */
    async cronTarget(slug: string): Promise<CronTarget> {
      const site = await getSite(deps.db(), slug);
      if (!site) throw ApplicationFailure.nonRetryable(`site ${slug} is not in the registry; its schedule is left over: remove it with npm run up (reconciles schedules)`, FailureType.SiteNotFound);
      const blocked = cronBlockedBy(site, await runningLifecycle(slug));
      if (blocked) return { run: false, reason: blocked };
      const policy = cronPolicy(slug, site.spec.platform, await getCronSettings(deps.db(), slug), cfg.cron);
      return { run: true, host: site.spec.host, container: site.activeContainer!, platform: site.spec.platform, timeoutSeconds: policy.timeoutSeconds };
    },

    /**
     * Runs the platform's cron commands in the container, each under the container's cron lock and
     * within what is left of the time limit; a failed command does not stop the next (CiviCRM's jobs
     * still run when Drupal's cron fails). Reports every command; deciding what fails is the workflow's.
     */
    async runCron(input: { slug: string; container: string; platform: Platform; timeoutSeconds: number }): Promise<CronCommandReport[]> {
      const profile = profileOf(input.platform);
      const info = await inspectContainer(docker, input.container);
      if (!info?.State.Running) {
        throw ApplicationFailure.nonRetryable(`web container ${input.container} of ${input.slug} is ${info?.State.Status ?? 'gone'}; its cron cannot run (see tutti site show ${input.slug})`, FailureType.ContainerUnhealthy);
      }
      const ctx = Context.current();
      const deadline = Date.now() + input.timeoutSeconds * 1000;
      const reports: CronCommandReport[] = [];
      for (const argv of profile.cron()) {
        const command = argv.join(' ');
        const left = Math.max(1, Math.floor((deadline - Date.now()) / 1000));
        const started = Date.now();
        const beat = setInterval(() => ctx.heartbeat({ command, seconds: Math.round((Date.now() - started) / 1000) }), 5_000);
        try {
          const out = tailCollector();
          const run = await execStream(docker, input.container, guardedCronArgv(argv, left), { user: profile.execUser, timeoutMs: (left + 60) * 1000 });
          run.stream.on('data', (b: Buffer) => out.push(b));
          const { exitCode, stderr } = await run.done;
          const seconds = Math.round((Date.now() - started) / 100) / 10;
          const report = { command, exitCode, seconds, outcome: outcomeOf(exitCode, seconds, left), outputTail: outputTail(`${out.text()}\n${stderr}`) };
          reports.push(report);
          if (report.outcome === 'busy') break;
        } finally {
          clearInterval(beat);
        }
      }
      return reports;
    },

    /** Creates or updates the site's Schedule from the registry and its cron settings. */
    async ensureCronSchedule(slug: string): Promise<EnsureOutcome> {
      const site = await getSite(deps.db(), slug);
      if (!site) throw ApplicationFailure.nonRetryable(`site ${slug} is not in the registry; no cron schedule for it`, FailureType.SiteNotFound);
      const policy = cronPolicy(slug, site.spec.platform, await getCronSettings(deps.db(), slug), cfg.cron);
      return ensureCronSchedule(client(), { slug, host: site.spec.host, policy, taskQueue: cfg.temporal.taskQueue, commands: profileOf(site.spec.platform).cron().length });
    },

    /** Removes the site's Schedule and cron settings; a run already under way finishes (it skips once the site is not active). */
    async removeCronSchedule(slug: string): Promise<boolean> {
      const removed = await removeCronSchedule(client(), slug);
      await forgetCronSettings(deps.db(), slug);
      return removed;
    },
  });
}

export type CronActivities = ReturnType<typeof createCronActivities>;
