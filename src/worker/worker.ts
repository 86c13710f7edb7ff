import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ActivityDeps } from '../../activities/deps';
import { redactingInterceptor } from '../../activities/secretsRedaction';
import { dataConverter } from '../codec';
import type { TuttiConfig } from '../config';
import { hostTaskQueue } from '../site/names';
import { activityLogInterceptor } from './logging';

/**
 * Workflow interceptor modules (operation counts, `site` on log lines). A prebuilt bundle must be
 * built with them: `bundleWorkflowCode({ workflowInterceptorModules })`.
 */
export const workflowInterceptorModules = [require.resolve('../../workflows/interceptors')];

export interface TuttiWorkerOptions {
  cfg: TuttiConfig;
  deps: ActivityDeps;
  connection?: NativeConnection;
  /** A prebuilt bundle (tests build one per run); otherwise workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Which roles this process serves; one machine serves both. */
  roles?: { orchestrator: boolean; host: boolean };
}

/**
 * One process, two workers: the `tutti` queue (workflows and host-independent activities) and
 * this host's `tutti-host-<name>` queue (Docker, MariaDB and Varnish activities).
 */
export async function createWorkers(opts: TuttiWorkerOptions): Promise<{ workers: Worker[]; connection: NativeConnection }> {
  const { cfg } = opts;
  const connection = opts.connection ?? (await NativeConnection.connect({ address: cfg.temporal.address }));
  const activities = createActivities(opts.deps);
  const roles = opts.roles ?? { orchestrator: true, host: true };
  // Payloads and failure messages leave this process encrypted (src/codec); activity failures leave it without secret values.
  const converter = dataConverter(cfg);
  // Log lines of activities name their site and run; workflow ones get the same from workflows/interceptors.ts.
  const activity = [redactingInterceptor(opts.deps.secrets), activityLogInterceptor()];
  const workflowSource = opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../../workflows') };
  const interceptors = opts.workflowBundle ? { activity } : { activity, workflowModules: workflowInterceptorModules };
  const workers: Worker[] = [];
  if (roles.orchestrator) {
    workers.push(
      await Worker.create({
        connection,
        namespace: cfg.temporal.namespace,
        taskQueue: cfg.temporal.taskQueue,
        activities,
        dataConverter: converter,
        interceptors,
        ...workflowSource,
        identity: `${cfg.hostName}/orchestrator/${process.pid}`,
      }),
    );
  }
  if (roles.host) {
    workers.push(
      await Worker.create({
        connection,
        namespace: cfg.temporal.namespace,
        taskQueue: hostTaskQueue(cfg.hostName),
        activities,
        dataConverter: converter,
        interceptors,
        identity: `${cfg.hostName}/host/${process.pid}`,
      }),
    );
  }
  return { workers, connection };
}

/** Runs all workers until one fails or a shutdown signal arrives. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
