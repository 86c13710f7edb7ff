import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/client/connect';
import { loadConfig, type TuttiConfig } from '../../src/config';
import { activeVcl, createDirectly, directSite, removeDirectSites, type StepTimes } from './baseline';
import { docker } from './command';
import { byName, median, medianRow, ratio, secs } from './report';
import { createThroughTutti, deleteThroughTutti, type TuttiRun } from './tutti';
import { WorkerProcess } from '../../test/helpers/workerProcess';

const IMAGE = 'tutti/wordpress:php8.2-bookworm';
const AIM = 1.3;

const load = () => loadavg()[0]!.toFixed(1);

interface Options {
  runs: number;
  warmup: number;
  /** Where to write every run's figures, for a closer look. */
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { runs: 3, warmup: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--json' && value) opts.json = value;
    else if ((flag === '--runs' && /^[1-9][0-9]*$/.test(value)) || (flag === '--warmup' && /^[0-9]+$/.test(value))) opts[flag === '--runs' ? 'runs' : 'warmup'] = Number(value);
    else throw new Error(`unexpected ${JSON.stringify(flag)} ${JSON.stringify(value)}; usage: create-site [--runs N>=1] [--warmup N>=0] [--json FILE]`);
  }
  return opts;
}

async function tuttiOnce(client: Client, cfg: TuttiConfig, id: string): Promise<TuttiRun> {
  let run: TuttiRun;
  try {
    run = await createThroughTutti(client, cfg, id, IMAGE);
  } catch (err) {
    // A failed createSite removes what it made; this only catches a run that got further.
    await deleteThroughTutti(client, cfg, id).catch(() => undefined);
    throw err;
  }
  await deleteThroughTutti(client, cfg, id);
  return run;
}

async function baselineOnce(cfg: TuttiConfig, id: string): Promise<StepTimes> {
  const previousVcl = await activeVcl(cfg);
  try {
    return await createDirectly(cfg, directSite(cfg, id, IMAGE));
  } finally {
    await removeDirectSites(cfg, previousVcl);
  }
}

/** What one `docker` CLI call costs here (process start + one API round trip), median of 5. */
async function dockerCliMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await docker('version', '--format', '{{.Server.Version}}');
    times.push(performance.now() - t);
  }
  return median(times);
}

function printBaseline(runs: StepTimes[], cliMs: number): number {
  const total = median(runs.map((r) => r.totalMs));
  console.log(`\nbaseline: the same steps done directly; median of ${runs.length} run(s), share, range (s)`);
  for (const [name, values] of byName(runs.map((r) => r.steps))) medianRow(name, values, total);
  const calls = runs[0]!.dockerCalls;
  console.log(`  (${calls} docker CLI calls; one \`docker version\` takes ${secs(cliMs)} here, so up to ${secs(calls * cliMs)} is CLI start-up an API client would not pay)`);
  return medianRow('baseline: to first 200', runs.map((r) => r.totalMs));
}

function printTutti(runs: TuttiRun[]): { first200: number; result: number } {
  const all = (f: (r: TuttiRun) => number) => runs.map(f);
  const workflow = median(all((r) => r.workflowMs));
  console.log(`\ntutti: per activity type, ActivityTaskScheduled → Completed; median of ${runs.length} run(s), share of the workflow run, range (s)`);
  for (const [name, values] of byName(runs.map((r) => r.activityMs))) {
    const calls = runs[0]!.activityCalls.get(name) ?? 1;
    medianRow(calls > 1 ? `${name} (${calls} calls)` : name, values, workflow);
  }
  medianRow('activities, sum', all((r) => r.workflowMs - r.overheadMs), workflow);
  medianRow('workflow-task overhead (workflow run − activities)', all((r) => r.overheadMs), workflow);
  medianRow(`  workflow tasks, scheduled → completed (${runs[0]!.workflowTasks} tasks)`, all((r) => r.workflowTaskMs));
  medianRow('  activities waiting in queues (part of the activities)', all((r) => r.activityQueueMs));
  medianRow('workflow run, ExecutionStarted → Completed', all((r) => r.workflowMs));
  medianRow('request → WorkflowExecutionStarted', all((r) => r.startLatencyMs));
  medianRow('WorkflowExecutionCompleted → result in the client', all((r) => r.resultLatencyMs));
  const first200 = medianRow('tutti: to first 200 through Varnish', all((r) => r.toFirst200Ms));
  const result = medianRow('tutti: to the workflow result', all((r) => r.toResultMs));
  return { first200, result };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const cfg = loadConfig(process.env);
  if (!/^tuttitest[0-9]?$/.test(cfg.prefix)) throw new Error(`runs on a test platform only (TUTTI_PREFIX=${cfg.prefix}); start it with bench/create-site`);
  console.log('bench/create-site: site create time, request to first 200 through Varnish, Tutti vs. the same steps done directly');
  console.log(`machine: ${cpus().length} cores, load ${load()}, node ${process.version}; image ${IMAGE}; platform ${cfg.prefix}; ${opts.runs} run(s) each, interleaved, after ${opts.warmup} warm-up pair(s)`);

  const worker = new WorkerProcess(cfg, 'bench-create-site-worker');
  await worker.start();
  const client = await connectClient(cfg);
  console.log(`worker: pid ${worker.pid} polling (untimed); log ${worker.logFile}\n`);
  const tutti: TuttiRun[] = [];
  const baseline: StepTimes[] = [];
  try {
    for (let i = 1; i <= opts.warmup + opts.runs; i++) {
      const warm = i <= opts.warmup;
      const label = warm ? `warm-up ${i}` : `run ${i - opts.warmup}`;
      // Alternating who goes first shares drift and noise between the two.
      let t: TuttiRun | undefined;
      let b: StepTimes | undefined;
      const sides = [async () => (t = await tuttiOnce(client, cfg, `t${i}`)), async () => (b = await baselineOnce(cfg, `b${i}`))];
      for (const side of i % 2 ? sides : sides.reverse()) await side();
      console.log(`  ${label.padEnd(10)} tutti ${secs(t!.toFirst200Ms)} to first 200 (${secs(t!.toResultMs)} to result)   baseline ${secs(b!.totalMs)}   ${ratio(t!.toFirst200Ms, b!.totalMs)}${warm ? '   (not counted)' : ''}`);
      if (!warm) {
        tutti.push(t!);
        baseline.push(b!);
      }
    }
    const base = printBaseline(baseline, await dockerCliMs());
    const { first200, result } = printTutti(tutti);
    const r = first200 / base;
    const paired = tutti.map((t, i) => t.toFirst200Ms / baseline[i]!.totalMs);
    console.log(`\npaired: median of the per-run ratios ${median(paired).toFixed(2)} x (range ${Math.min(...paired).toFixed(2)}–${Math.max(...paired).toFixed(2)})`);
    if (opts.json) {
      const plain = (m: Map<string, number>) => Object.fromEntries(m);
      const runs = tutti.map((t, i) => ({ tutti: { ...t, activityMs: plain(t.activityMs), activityCalls: plain(t.activityCalls) }, baseline: { ...baseline[i]!, steps: plain(baseline[i]!.steps) } }));
      await writeFile(opts.json, JSON.stringify({ image: IMAGE, runs }, null, 2));
      console.log(`every run's figures: ${opts.json}`);
    }
    if (loadavg()[0]! > cpus().length) console.log(`\nnote: the machine was busy (load ${load()} on ${cpus().length} cores); the ranges show how noisy this run was`);
    console.log(`\nsummary: Tutti ${secs(first200)} / baseline ${secs(base)} = ${ratio(first200, base)} to first 200 (aim ≤ ${AIM.toFixed(2)} x: ${r <= AIM ? 'met' : 'not met'}); to the workflow's result ${secs(result)} = ${ratio(result, base)}`);
  } finally {
    await client.connection.close();
    await worker.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench/create-site: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
