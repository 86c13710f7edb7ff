import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { TuttiConfig } from '../../src/config';
import { waitUntil } from '../../src/infra/wait';
import { hostTaskQueue } from '../../src/site/names';

/**
 * Tutti's worker (built JS in dist/) as a child process, so a test or benchmark can SIGKILL it
 * like a crash and read its peak memory from /proc.
 */
export class WorkerProcess {
  private child?: ChildProcess;
  readonly logFile: string;

  constructor(
    private readonly cfg: TuttiConfig,
    name: string,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {
    mkdirSync(join(cfg.dataDir, 'logs'), { recursive: true });
    this.logFile = join(cfg.dataDir, 'logs', `${name}-${Date.now()}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the worker and waits until it polls every queue: workflow and activity tasks of `tutti`, and this host's activities. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [workerMain()], { env: this.env, stdio: ['ignore', log, log] });
    const queues: [string, number][] = [
      [this.cfg.temporal.taskQueue, 1],
      [this.cfg.temporal.taskQueue, 2],
      [hostTaskQueue(this.cfg.hostName), 2],
    ];
    const connection = await Connection.connect({ address: this.cfg.temporal.address });
    try {
      await waitUntil(
        `worker process polling (log ${this.logFile})`,
        async () => {
          if (this.child?.exitCode !== null) throw new Error(`worker exited: ${this.logs().slice(-500)}`);
          for (const [name, taskQueueType] of queues) {
            const r = await connection.workflowService.describeTaskQueue({ namespace: this.cfg.temporal.namespace, taskQueue: { name }, taskQueueType });
            if (!r.pollers?.some((p) => p.identity?.endsWith(`/${this.child!.pid}`))) return undefined;
          }
          return true;
        },
        { timeoutMs: 180_000, intervalMs: 250 },
      );
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      await connection.close();
    }
  }

  /** A crash: no shutdown, activities in flight are lost. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }

  /** A graceful stop (SIGTERM; SIGKILL after 30 s). Resolves once the process is gone. */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** Peak resident memory in kB since start or the last {@link resetPeak} (VmHWM). */
  peakRssKb(): number {
    const status = readFileSync(`/proc/${this.child!.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  }

  /** Resident memory now, in kB (VmRSS). */
  rssKb(): number {
    const status = readFileSync(`/proc/${this.child!.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  }

  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds(): number {
    const fields = readFileSync(`/proc/${this.child!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }

  /** Resets VmHWM to the current RSS (Linux: `5` to /proc/<pid>/clear_refs), to measure one phase. */
  resetPeak(): void {
    writeFileSync(`/proc/${this.child!.pid}/clear_refs`, '5');
  }

  logs(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

/** The built worker entry point, whether this file runs from source (jest) or from dist/ (bench). */
function workerMain(): string {
  const root = resolve(__dirname, '../..');
  return root.endsWith('/dist') ? join(root, 'src/worker/main.js') : join(root, 'dist/src/worker/main.js');
}
