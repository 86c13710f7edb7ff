import type { Command } from 'commander';
import { loadConfig, type TuttiConfig } from '../config';
import type { Client } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { cronStatus, pauseCron, resumeCron, setCron, triggerCron, waitForRun, type CronRunSummary, type CronStatus } from '../client/crons';
import { connectHostDb, type Db } from '../infra/mariadb';
import { listSites } from '../infra/registry';
import { formatDuration, intervalSchema, timeoutSchema } from '../site/cron';
import { parseInput, slugSchema } from '../site/validate';
import { CliError, printJson, table } from './output';

/** Opens a Temporal client and the registry for one command, and closes both. */
async function withCron<T>(fn: (cfg: TuttiConfig, client: Client, db: Db) => Promise<T>): Promise<T> {
  const cfg = loadConfig(process.env);
  const client = await connectClient(cfg);
  const db = connectHostDb(cfg);
  try {
    return await fn(cfg, client, db);
  } finally {
    await db.end();
    await client.connection.close();
  }
}

function runLine(run: CronRunSummary | undefined): string {
  if (!run) return 'never';
  const result = run.outcome ?? run.status.toLowerCase();
  return `${result.toUpperCase()} ${run.startedAt ?? run.scheduledAt}${run.closedAt ? ` (${((Date.parse(run.closedAt) - Date.parse(run.startedAt!)) / 1000).toFixed(1)} s)` : ''} ${run.workflowId}`;
}

function printStatus(s: CronStatus): void {
  const lines = [
    `site       ${s.site} (schedule ${s.schedule})`,
    `state      ${s.paused ? `PAUSED${s.note ? `: ${s.note}` : ''}` : 'active'}`,
    `interval   every ${formatDuration(s.every)}, time limit ${formatDuration(s.timeout)}, overlap skip`,
    `next run   ${s.nextRun ?? '-'}`,
    `last run   ${runLine(s.lastRun)}`,
    ...(s.lastRun?.detail ? [`result     ${s.lastRun.detail.split('\n').join('\n           ')}`] : []),
    ...(s.lastRun?.commands ?? []).map((c, i) => `${i ? '          ' : 'commands  '} ${c.command}: ${c.outcome} (exit ${c.exitCode}, ${c.seconds} s)`),
    `running    ${s.running.join(', ') || '-'}`,
    `runs       ${s.runsStarted} started, ${s.skipped} skipped (previous still running), ${s.missed} missed (Temporal down)`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

const duration = (schema: typeof intervalSchema, what: string) => (v: string) => (v === 'default' ? null : parseInput(schema, v, what));

export function registerCronCommands(program: Command): void {
  const cron = program.command('cron').description("run, pause, resume and inspect sites' crons (one Temporal Schedule per site)");
  const site = (v: string) => parseInput(slugSchema, v, 'site');

  cron
    .command('status <site>')
    .description('last run and its result, next run, skipped runs')
    .option('--json', 'machine-readable output')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const s = await withCron((cfg, client, db) => cronStatus(client, cfg, db, site(slug)));
      if (opts.json) printJson(s);
      else printStatus(s);
    });

  cron
    .command('list')
    .description("every site's cron: state, interval, last result, next run")
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const all = await withCron(async (cfg, client, db) => {
        const out: (CronStatus | { site: string; error: string })[] = [];
        for (const s of await listSites(db)) out.push(await cronStatus(client, cfg, db, s.spec.slug).catch((err: Error) => ({ site: s.spec.slug, error: err.message })));
        return out;
      });
      if (opts.json) return printJson(all);
      if (!all.length) return void process.stdout.write('no sites yet\n');
      const rows = all.map((s) => ('error' in s ? [s.site, '-', '-', s.error, '-', '-'] : [s.site, s.paused ? 'paused' : 'active', formatDuration(s.every), s.lastRun ? (s.lastRun.outcome ?? s.lastRun.status.toLowerCase()) : 'never', s.nextRun ?? '-', String(s.skipped)]));
      process.stdout.write(table([['site', 'state', 'every', 'last result', 'next run', 'skipped'], ...rows]));
    });

  cron
    .command('run <site>')
    .description("run the site's cron now (through its schedule, so never beside a scheduled run) and wait for the result")
    .option('--json', 'machine-readable output')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const run = await withCron(async (_cfg, client) => {
        const t = await triggerCron(client, site(slug));
        if ('busy' in t) throw new CliError(`the cron of ${slug} is already running (${t.busy}); see tutti cron status ${slug}`);
        return waitForRun(client, t.started);
      });
      if (opts.json) printJson(run);
      else process.stdout.write(`${runLine(run)}${run.detail ? `\n${run.detail}` : ''}\n`);
      if (run.outcome !== 'ran') throw new CliError(run.outcome === 'skipped' ? `cron of ${slug} skipped: ${run.detail}` : `cron of ${slug} failed; see tutti cron status ${slug}`);
    });

  cron
    .command('pause <site>')
    .description('stop starting runs until resumed (a running one finishes)')
    .option('--note <text>', 'why, shown by status and in the UI', 'paused with tutti cron pause')
    .action(async (slug: string, opts: { note: string }) => {
      await withCron((cfg, client) => pauseCron(client, site(slug), `${opts.note} (${cfg.temporal.identity})`));
      process.stdout.write(`cron of ${slug} paused\n`);
    });

  cron
    .command('resume <site>')
    .description('start runs again on the schedule')
    .action(async (slug: string) => {
      await withCron((cfg, client) => resumeCron(client, site(slug), `resumed by ${cfg.temporal.identity}`));
      process.stdout.write(`cron of ${slug} resumed\n`);
    });

  cron
    .command('set <site>')
    .description('change the interval or time limit of one site (kept in the registry; npm run up keeps the schedule in line)')
    .option('--every <duration>', 'interval such as 5m or 1h, or "default"', duration(intervalSchema, 'every'))
    .option('--timeout <duration>', 'time limit of a run such as 15m, or "default"', duration(timeoutSchema, 'timeout'))
    .action(async (slug: string, opts: { every?: number | null; timeout?: number | null }) => {
      if (opts.every === undefined && opts.timeout === undefined) throw new CliError('nothing to change; give --every and/or --timeout', 2);
      const r = await withCron((cfg, client, db) => setCron(client, cfg, db, site(slug), { everySeconds: opts.every, timeoutSeconds: opts.timeout }));
      process.stdout.write(`cron of ${slug}: every ${formatDuration(r.policy.everySeconds)}, time limit ${formatDuration(r.policy.timeoutSeconds)} (schedule ${r.outcome})\n`);
    });
}
