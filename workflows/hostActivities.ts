import { proxyActivities } from '@temporalio/workflow';
import type * as acts from '../activities';
import type { ActivityOptions } from '@temporalio/common';
import { hostTaskQueue } from '../src/site/names';

type All = ReturnType<typeof acts.createActivities>;

/** Activities that touch a Docker host (Docker, MariaDB, Varnish) run on that host's worker. */
export function hostActivities(host: string, options: ActivityOptions): All {
  return proxyActivities<All>({ ...options, taskQueue: hostTaskQueue(host) });
}

/** Activities that run anywhere (S3, registry lookups) go to the shared queue. */
export function sharedActivities(options: ActivityOptions): All {
  return proxyActivities<All>(options);
}

/** Short probes: fail fast when no worker serves the queue instead of hanging. */
export const QUICK: ActivityOptions = {
  startToCloseTimeout: '20 seconds',
  scheduleToStartTimeout: '30 seconds',
  retry: { maximumAttempts: 2, initialInterval: '1 second' },
};
