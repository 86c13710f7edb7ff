import { cpus, loadavg } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { connectClient } from '../src/client/connect';
import { applyCronSchedule } from '../src/client/crons';
import { describeCronSchedule, removeCronSchedule } from '../src/infra/cronSchedules';
import { setCronSettings } from '../src/infra/cronSettings';
import { createDocker } from '../src/infra/docker';
import { connectHostDb } from '../src/infra/mariadb';
import { getSite } from '../src/infra/registry';
import { waitUntil } from '../src/infra/wait';
import { cronScheduleId } from '../src/site/cron';
import { buildDeps } from '../src/worker/deps';
import { createWorkers } from '../src/worker/worker';
import type { SiteCronResult } from '../workflows/siteCron';
import { createStubContainer, createStubSites, directExecMs, removeStubContainers, startNsOf, type StubSite } from './cronSites';

/**
 * bench/cron: what Temporal adds to a cron run. For each of N sites, the time from a schedule's
 * nominal fire time to the cron command's first instruction in the container, against the time
 * from calling `docker exec` with the same argv to that instruction, both measured in this run.
 */

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return v;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const ms = (v: number) => `${v.toFixed(1)} ms`.padStart(10);

function row(label: string, xs: number[]): string {
  return `  ${label.padEnd(44)} ${ms(quantile(xs, 0.5))} ${ms(quantile(xs, 0.9))} ${ms(Math.max(...xs))} ${String(xs.length).padStart(5)}`;
}

interface TemporalSample {
  fireToCommand: number;
  fireToWorkflow: number;
  workflowToCommand: number;
}

/** Every completed siteCron run of the stub sites, timed from the fire time in its workflow ID. */
async function collect(client: Client): Promise<{ samples: TemporalSample[]; failed: number }> {
  const samples: TemporalSample[] = [];
  let failed = 0;
  for await (const w of client.workflow.list({ query: `WorkflowType = 'siteCron'` })) {
    const fired = /-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/.exec(w.workflowId);
    if (!fired) continue;
    if (w.status.name !== 'COMPLETED') {
      failed++;
      continue;
    }
    const result = (await client.workflow.getHandle(w.workflowId, w.runId).result()) as SiteCronResult;
    if (result.outcome !== 'ran') {
      failed++;
      continue;
    }
    const fire = Date.parse(fired[1]!);
    const command = startNsOf(result.commands[0]!.outputTail) / 1e6;
    samples.push({ fireToCommand: command - fire, fireToWorkflow: w.startTime.getTime() - fire, workflowToCommand: command - w.startTime.getTime() });
  }
  return { samples, failed };
}

async function main(): Promise<void> {
  const count = option('sites', 50);
  const rounds = option('rounds', 3);
  const every = option('every', 30);
  const cfg = loadConfig(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const docker = createDocker(cfg.docker);
  const db = connectHostDb(cfg);
  const client = await connectClient(cfg);
  const deps = buildDeps(cfg);
  const { workers, connection } = await createWorkers({ cfg, deps });
  const running = workers.map((w) => w.run());
  let sites: StubSite[] = [];
  try {
    process.stdout.write(`bench/cron: ${count} sites (stub containers), ${rounds} rounds, schedules every ${every} s\n`);
    sites = await createStubSites(docker, db, cfg, count);
    const baseline = await createStubContainer(docker, cfg, 'bench-direct');

    // The baseline twice: on an idle platform, then beside the schedules (same load as the Temporal runs).
    const idle: number[] = [];
    for (let i = 0; i < rounds * count; i++) idle.push(await directExecMs(docker, baseline, cfg.cron.timeoutSeconds));
    const direct: number[] = [];
    let measuring = true;
    const beside = (async () => {
      while (measuring) {
        direct.push(await directExecMs(docker, baseline, cfg.cron.timeoutSeconds));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();

    for (const s of sites) {
      await setCronSettings(db, s.slug, { everySeconds: every });
      await applyCronSchedule(client, cfg, db, (await getSite(db, s.slug))!);
    }
    const taken = async () => {
      let all = 0;
      for (const s of sites) all += Math.min(rounds, (await describeCronSchedule(client, s.slug))?.info.numActionsTaken ?? 0);
      return all;
    };
    await waitUntil(`${rounds} runs of each of ${count} schedules`, async () => ((await taken()) >= rounds * count ? true : undefined), { timeoutMs: (rounds + 3) * every * 1000, intervalMs: 5_000 });
    measuring = false;
    await beside;
    for (const s of sites) await client.schedule.getHandle(cronScheduleId(s.slug)).pause('bench/cron done');
    await new Promise((r) => setTimeout(r, 5_000)); // the last runs finish
    let skipped = 0;
    for (const s of sites) skipped += (await describeCronSchedule(client, s.slug))?.info.numActionsSkippedOverlap ?? 0;
    const { samples, failed } = await collect(client);

    const fire = samples.map((x) => x.fireToCommand);
    process.stdout.write(`\n  ${''.padEnd(44)} ${'median'.padStart(10)} ${'p90'.padStart(10)} ${'max'.padStart(10)} ${'n'.padStart(5)}\n`);
    process.stdout.write(`${row('baseline: docker exec → command start, idle', idle)}\n`);
    process.stdout.write(`${row('baseline: the same, beside the schedules', direct)}\n`);
    process.stdout.write(`${row('Temporal: schedule fire → command start', fire)}\n`);
    process.stdout.write(`${row('  fire → siteCron workflow started', samples.map((x) => x.fireToWorkflow))}\n`);
    process.stdout.write(`${row('  workflow started → command start', samples.map((x) => x.workflowToCommand))}\n`);
    const ratio = quantile(fire, 0.5) / quantile(direct, 0.5);
    process.stdout.write(`\n  ratio Temporal / docker exec beside (medians) ${ratio.toFixed(1)} x\n`);
    process.stdout.write(`  ratio Temporal / idle docker exec (medians)  ${(quantile(fire, 0.5) / quantile(idle, 0.5)).toFixed(1)} x\n`);
    process.stdout.write(`  Temporal overhead per run (median)           ${(quantile(fire, 0.5) - quantile(direct, 0.5)).toFixed(1)} ms, on a ${every} s interval\n`);
    process.stdout.write(`  runs failed or skipped: ${failed}; fires skipped (overlap): ${skipped}\n`);
    process.stdout.write(`  machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; workflow start times have ms precision, fire times are whole seconds (nominal)\n`);
  } finally {
    for (const s of sites) await removeCronSchedule(client, s.slug).catch(() => undefined);
    await removeStubContainers(docker, cfg, [...sites.map((s) => s.slug), 'bench-direct']).catch(() => undefined);
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    await connection.close();
    await client.connection.close();
    await db.end();
    await deps.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/cron: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
