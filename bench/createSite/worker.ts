import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { TuttiConfig } from '../../src/config';
import { waitUntil } from '../../src/infra/wait';
import { hostTaskQueue } from '../../src/site/names';

export interface WorkerProcess {
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Tutti's worker as its own process (dist/src/worker/main.js), as `npm run up` runs it, so the
 * bench's polling and the baseline share no event loop with it. Resolves once it polls every queue.
 */
export async function startWorkerProcess(cfg: TuttiConfig): Promise<WorkerProcess> {
  mkdirSync(join(cfg.dataDir, 'logs'), { recursive: true });
  const logFile = join(cfg.dataDir, 'logs', 'bench-create-site-worker.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [resolve(__dirname, '../../src/worker/main.js')], { env: process.env, stdio: ['ignore', log, log] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  const connection = await Connection.connect({ address: cfg.temporal.address });
  const queues: [string, number][] = [
    [cfg.temporal.taskQueue, 1], // workflow tasks
    [cfg.temporal.taskQueue, 2], // registry activities
    [hostTaskQueue(cfg.hostName), 2], // Docker, MariaDB and Varnish activities
  ];
  try {
    await waitUntil(
      `worker pid ${child.pid} polling ${queues.map((q) => q[0]).join(', ')} (log ${logFile})`,
      async () => {
        if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-400)}`);
        for (const [name, taskQueueType] of queues) {
          const r = await connection.workflowService.describeTaskQueue({ namespace: cfg.temporal.namespace, taskQueue: { name }, taskQueueType });
          if (!r.pollers?.some((p) => p.identity?.endsWith(`/${child.pid}`))) return undefined;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } catch (err) {
    await stop();
    throw err;
  } finally {
    await connection.close();
  }
  return { pid: child.pid!, logFile, stop };
}
