import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { buildDeps } from './deps';
import { createWorkers, runWorkers } from './worker';

/** Worker entry point: structured JSON logs on stdout, config from the environment. */
async function main(): Promise<void> {
  const cfg = loadConfig(process.env);
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      process.stdout.write(
        JSON.stringify({ time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(), level: entry.level, message: entry.message, ...entry.meta }) + '\n',
      );
    }),
  });
  const deps = buildDeps(cfg);
  const { workers, connection } = await createWorkers({ cfg, deps });
  process.stdout.write(JSON.stringify({ level: 'INFO', message: 'tutti worker started', host: cfg.hostName, namespace: cfg.temporal.namespace, queues: workers.map((w) => w.options.taskQueue) }) + '\n');
  try {
    await runWorkers(workers);
  } finally {
    await deps.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`tutti worker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
