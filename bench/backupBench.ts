import type { Client } from '@temporalio/client';
import { OBJECT, sitePrefix } from '../src/backup/layout';
import { startBackupSite, startRestoreSite } from '../src/client/backups';
import { startCreateSite, startDeleteSite } from '../src/client/sites';
import { loadConfig, type TuttiConfig } from '../src/config';
import { platformNames, siteNames } from '../src/site/names';
import type { BackupResult } from '../workflows/backupSite';
import type { RestoreResult } from '../workflows/restoreSite';
import { testBucket } from '../test/helpers/backupHelpers';
import { testClient } from '../test/helpers/platform';
import { WorkerProcess } from '../test/helpers/workerProcess';
import { loadavg } from 'node:os';
import { baselineDump, baselineLoad, baselineParallelDump, baselineParallelLoad, generate, timed } from './backupBaseline';
import { breakdown } from './createSite/history';

/**
 * bench/backup: backupSite and restoreSite of a generated database against mariadb-dump and
 * mariadb < dump.sql in the same run, with the worker's peak RSS per phase. See bench/README.md.
 */
interface Row {
  mb: number;
  dumpMb: number;
  storedMb: number;
  baselineDump: number;
  backup: number;
  baselineLoad: number;
  restore: number;
  /** Two dump streams and two loaders at once (bench/backupBaseline.ts). */
  parallelDump: number;
  parallelLoad: number;
  backupSteps: Record<string, number>;
  restoreSteps: Record<string, number>;
  /** Worker RSS when the phase started, its peak during the phase (MB), and the CPU seconds it used. */
  backupMem: Phase;
  restoreMem: Phase;
  /** 1-minute load average before the backup and after the restore: this box may be shared. */
  load: [number, number];
}

interface Phase {
  startMb: number;
  peakMb: number;
  cpuSeconds: number;
}

/** Measures the worker process across `fn`: RSS at the start, peak RSS (VmHWM reset first), CPU seconds. */
async function phase<T>(worker: WorkerProcess, fn: () => Promise<T>): Promise<{ value: T; seconds: number; mem: Phase }> {
  worker.resetPeak();
  const startMb = worker.rssKb() / 1024;
  const cpu = worker.cpuSeconds();
  const { value, seconds } = await timed(fn);
  return { value, seconds, mem: { startMb, peakMb: worker.peakRssKb() / 1024, cpuSeconds: worker.cpuSeconds() - cpu } };
}

const say = (line: string) => process.stdout.write(line + '\n');
const fixed = (n: number, d = 1) => n.toFixed(d);

/** Seconds from schedule to completion of each activity type of a run, from its history (bench/createSite/history.ts). */
async function activitySeconds(client: Client, workflowId: string, runId: string): Promise<Record<string, number>> {
  const { activityMs } = breakdown(await client.workflow.getHandle(workflowId, runId).fetchHistory());
  return Object.fromEntries([...activityMs].map(([type, ms]) => [type, ms / 1000]));
}

async function measure(cfg: TuttiConfig, client: Client, worker: WorkerProcess, mb: number, slug: string): Promise<Row> {
  const mariadb = platformNames(cfg.prefix).mariadbContainer;
  say(`\n${mb} MB: creating site ${slug} and generating its data (untimed)`);
  await (await startCreateSite(client, cfg, { domains: [`${slug}.example`], title: `Bench ${mb}` })).result();
  const database = siteNames(cfg.prefix, slug).databaseOf(1);
  await generate(mariadb, database, mb, say);

  say('  baseline: mariadb-dump --single-transaction > /dev/null');
  const loadBefore = loadavg()[0]!;
  const dump = await baselineDump(mariadb, database);
  say('  tutti: backupSite');
  const backupHandle = await startBackupSite(client, cfg, { site: slug });
  const backup = await phase(worker, async () => (await backupHandle.result()) as BackupResult);
  const backupSteps = await activitySeconds(client, backupHandle.workflowId, backupHandle.firstExecutionRunId);

  say('  baseline: two mariadb-dump streams at once > /dev/null');
  const parallelDump = await baselineParallelDump(mariadb, database);

  say('  baseline: mariadb < dump.sql');
  const load = await baselineLoad(mariadb, database);
  say('  baseline: two mariadb loaders at once');
  const parallelLoad = await baselineParallelLoad(mariadb, database);
  say('  tutti: restoreSite (verify, load, counts, swap; no safety backup)');
  const handle = await startRestoreSite(client, cfg, { site: slug, backupId: backup.value.backupId, safetyBackup: false });
  const restore = await phase(worker, async () => (await handle.result()) as RestoreResult);
  const restoreSteps = await activitySeconds(client, handle.workflowId, handle.firstExecutionRunId);

  await (await startDeleteSite(client, cfg, { site: slug, finalBackup: false })).result();
  await testBucket(cfg).removeFolder(sitePrefix(cfg.s3.prefix, slug), OBJECT.manifest);
  return {
    mb,
    dumpMb: load.dumpBytes / 1_048_576,
    storedMb: (backup.value.dbBytes + backup.value.filesBytes) / 1_048_576,
    baselineDump: dump,
    backup: backup.seconds,
    baselineLoad: load.seconds,
    restore: restore.seconds,
    parallelDump,
    parallelLoad,
    backupSteps,
    restoreSteps,
    backupMem: backup.mem,
    restoreMem: restore.mem,
    load: [loadBefore, loadavg()[0]!],
  };
}

function report(rows: Row[]): void {
  say('\nsize      dump  stored | mariadb-dump  backupSite  ratio | mariadb<dump  restoreSite  ratio');
  for (const r of rows) {
    say(
      `${String(r.mb).padStart(5)} MB ${fixed(r.dumpMb, 0).padStart(5)} MB ${fixed(r.storedMb, 0).padStart(4)} MB | ` +
        `${fixed(r.baselineDump).padStart(10)} s ${fixed(r.backup).padStart(9)} s ${fixed(r.backup / r.baselineDump, 2).padStart(5)}x | ` +
        `${fixed(r.baselineLoad).padStart(10)} s ${fixed(r.restore).padStart(10)} s ${fixed(r.restore / r.baselineLoad, 2).padStart(5)}x`,
    );
  }
  say('\nparallel baselines (the generated table as two streams at once; ratio against the single-stream tool)');
  for (const r of rows) {
    say(`${String(r.mb).padStart(5)} MB  2× mariadb-dump ${fixed(r.parallelDump).padStart(6)} s ${fixed(r.parallelDump / r.baselineDump, 2).padStart(5)}x | 2× mariadb < half.sql ${fixed(r.parallelLoad).padStart(6)} s ${fixed(r.parallelLoad / r.baselineLoad, 2).padStart(5)}x | backupSite/2× dump ${fixed(r.backup / r.parallelDump, 2)}x, restoreSite/2× load ${fixed(r.restore / r.parallelLoad, 2)}x`);
  }
  say('\nworker process (VmRSS at start, VmHWM during, CPU seconds)   backup                      restore              load average');
  const mem = (p: Phase) => `${fixed(p.startMb, 0)} → peak ${fixed(p.peakMb, 0)} MB, ${fixed(p.cpuSeconds)} cpu-s`;
  for (const r of rows) say(`${String(r.mb).padStart(5)} MB ${' '.repeat(50)} ${mem(r.backupMem).padEnd(28)} ${mem(r.restoreMem).padEnd(28)} ${fixed(r.load[0], 1)} → ${fixed(r.load[1], 1)}`);
  const steps = (by: Record<string, number>) =>
    Object.entries(by)
      .filter(([, s]) => s >= 0.5)
      .map(([k, s]) => `${k} ${fixed(s)} s`)
      .join(', ');
  for (const r of rows) say(`${r.mb} MB by activity (scheduled → completed): backup ${steps(r.backupSteps)}; restore ${steps(r.restoreSteps)}`);
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '1024,2048').split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`sizes must be MB, e.g. 256,512 (got ${process.argv[2]})`);
  const cfg = loadConfig(process.env);
  const worker = new WorkerProcess(cfg, 'bench-backup-worker');
  await worker.start();
  const client = await testClient(cfg);
  const rows: Row[] = [];
  try {
    for (const mb of sizes) {
      rows.push(await measure(cfg, client, worker, mb, `bench${mb}`));
      // each size's figures as soon as they exist: a run cut short still leaves them
      if (rows.length < sizes.length) report(rows.slice(-1));
    }
  } finally {
    await worker.stop();
    await client.connection.close();
  }
  report(rows);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/backup: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
