import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import { z } from 'zod';
import type { CronCommandReport } from '../activities/cron';
import { formatDuration } from '../src/site/cron';
import { FailureType } from '../src/site/errors';
import { slugSchema } from '../src/site/validate';
import { REGISTRY, tagRun, validated } from './common';
import { hostActivities, sharedActivities } from './hostActivities';

export const siteCronInputSchema = z.object({ site: slugSchema }).strict();
export type SiteCronInput = z.input<typeof siteCronInputSchema>;

export interface SiteCronResult {
  site: string;
  outcome: 'ran' | 'skipped' | 'failed';
  /** Why a run was skipped or failed, in one line. */
  reason?: string;
  container?: string;
  commands: CronCommandReport[];
}

/**
 * One cron run of a site, started by its Schedule `cron-<slug>` (workflow ID `cron/<slug>-<time>`)
 * or by `tutti cron run`. It does not take the site's lifecycle lock, but skips, with the reason
 * as its result, when the site is not active or an upgrade, restore or migration holds
 * `site/<slug>`. A failing or overrunning command fails the run with the output's tail.
 */
export async function siteCron(rawInput: SiteCronInput): Promise<SiteCronResult> {
  const input = validated(siteCronInputSchema, rawInput);
  const slug = input.site;
  tagRun({ site: slug, operation: 'siteCron' });
  const target = await sharedActivities(REGISTRY).cronTarget(slug);
  if (!target.run) return skipped(slug, target.reason);

  tagRun({ site: slug, host: target.host, operation: 'siteCron', stage: 'running' });
  setCurrentDetails(`${slug}: running cron in ${target.container} (limit ${formatDuration(target.timeoutSeconds)})`);
  const onHost = hostActivities(target.host, {
    startToCloseTimeout: `${target.timeoutSeconds + 120} seconds`,
    // No worker for the host within this: the run fails visibly instead of waiting (and skipping every later run).
    scheduleToStartTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    // A lost worker is retried once; the container's cron lock keeps the retry from overlapping a command still running.
    retry: { maximumAttempts: 2, initialInterval: '5 seconds' },
  });
  const commands = await onHost.runCron({ slug, container: target.container, platform: target.platform, timeoutSeconds: target.timeoutSeconds });
  const result: SiteCronResult = { site: slug, outcome: 'ran', container: target.container, commands };

  if (commands.some((c) => c.outcome === 'busy')) return skipped(slug, `a previous cron still runs in ${target.container}`, result);
  const bad = commands.filter((c) => c.outcome === 'failed' || c.outcome === 'timed-out');
  if (bad.length) {
    const first = bad[0]!;
    const what = first.outcome === 'timed-out' ? `ran past its time limit of ${formatDuration(target.timeoutSeconds)} and was stopped` : `exited ${first.exitCode} after ${first.seconds} s`;
    const reason = `${first.command} ${what}`;
    tagRun({ site: slug, host: target.host, operation: 'siteCron', stage: 'failed' });
    setCurrentDetails(`${slug}: cron failed: ${reason}`);
    throw ApplicationFailure.create({
      message: `cron of ${slug} failed: ${reason}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}; output:\n${first.outputTail || '(none)'}`,
      type: FailureType.CommandFailed,
      nonRetryable: true,
      details: [{ ...result, outcome: 'failed', reason } satisfies SiteCronResult],
    });
  }
  tagRun({ site: slug, host: target.host, operation: 'siteCron', stage: 'ran' });
  setCurrentDetails(`${slug}: cron ran (${commands.map((c) => `${c.seconds} s`).join(', ')})`);
  return result;
}

function skipped(slug: string, reason: string, result?: SiteCronResult): SiteCronResult {
  tagRun({ site: slug, operation: 'siteCron', stage: 'skipped' });
  setCurrentDetails(`${slug}: cron skipped: ${reason}`);
  return { ...(result ?? { site: slug, commands: [] }), outcome: 'skipped', reason };
}
