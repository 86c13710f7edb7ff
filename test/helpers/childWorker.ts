import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import type { TuttiConfig } from '../../src/config';
import { waitUntil } from '../../src/infra/wait';
import { hostTaskQueue } from '../../src/site/names';

/** Tutti's worker as a separate process (built JS in dist/), so a test can SIGKILL it like a crash. */
export class ChildWorker {
  private child?: ChildProcess;
  readonly logFile: string;

  constructor(
    private readonly cfg: TuttiConfig,
    name = 'child-worker',
  ) {
    this.logFile = join(cfg.dataDir, 'logs', `${name}-${Date.now()}.log`);
  }

  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, [resolve(__dirname, '../../dist/src/worker/main.js')], { env: process.env, stdio: ['ignore', log, log] });
    await this.waitForPollers();
  }

  /** A crash: no graceful shutdown, activities in flight are lost. */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }

  logs(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  private async waitForPollers(): Promise<void> {
    const connection = await Connection.connect({ address: this.cfg.temporal.address });
    try {
      await waitUntil(
        `child worker polling (log ${this.logFile})`,
        async () => {
          if (this.child?.exitCode !== null) throw new Error(`worker exited: ${this.logs().slice(-500)}`);
          const pid = this.child.pid;
          const r = await connection.workflowService.describeTaskQueue({ namespace: this.cfg.temporal.namespace, taskQueue: { name: hostTaskQueue(this.cfg.hostName) }, taskQueueType: 2 });
          return r.pollers?.some((p) => p.identity?.endsWith(`/${pid}`)) ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      await connection.close();
    }
  }
}
