import type { Client } from '@temporalio/client';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { describeCronSchedule, ensureCronSchedule, listCronScheduleSlugs } from '../../src/infra/cronSchedules';
import { getCronSettings } from '../../src/infra/cronSettings';
import { createDocker } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { waitUntil } from '../../src/infra/wait';
import { cronPolicy, cronScheduleId } from '../../src/site/cron';
import { SA } from '../../src/site/searchAttributes';
import type { SiteCronResult } from '../../workflows/siteCron';
import { installTestPlugin, scheduleEvent, tutti, wpOption } from '../helpers/cron';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { rootDb } from '../helpers/sites';

const SLUG = 'cronwp';

async function schedule(client: Client) {
  const d = await describeCronSchedule(client, SLUG);
  if (!d) throw new Error(`no schedule ${cronScheduleId(SLUG)}`);
  return d;
}

/** Every run of the site's cron the schedule started, oldest first, with start and close times. */
async function runs(client: Client) {
  const out: { id: string; runId: string; start: number; close: number | undefined; status: string }[] = [];
  for await (const w of client.workflow.list({ query: `TuttiSite = '${SLUG}' AND WorkflowType = 'siteCron'` })) {
    out.push({ id: w.workflowId, runId: w.runId, start: w.startTime.getTime(), close: w.closeTime?.getTime(), status: w.status.name });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Pauses the schedule and waits until a run it started just before has finished. */
async function pauseAndSettle(client: Client, note = 'test'): Promise<void> {
  await tutti('cron', 'pause', SLUG, '--note', note);
  await waitUntil('no cron run under way', async () => ((await schedule(client)).info.runningActions.length === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
}

describe('site crons on Temporal Schedules', () => {
  let w: RunningWorker;
  let container: string;

  beforeAll(async () => {
    w = await startWorker();
    const created = await (await startCreateSite(w.client, w.cfg, { domains: ['cronwp.example'], title: 'Cron Choir' })).result();
    container = created.container;
    await installTestPlugin(w.cfg, container);
  });

  afterAll(async () => {
    // Leaves nothing behind even when a test failed half-way.
    await w.client.workflow.getHandle(`site/${SLUG}`).terminate('test cleanup').catch(() => undefined);
    const handle = await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false }).catch(() => undefined);
    await handle?.result().catch(() => undefined);
    await w.stop();
  });

  it('createSite made the schedule: overlap skip, an explicit catch-up window, the WordPress default interval', async () => {
    const d = await schedule(w.client);
    expect(d.policies.overlap).toBe('SKIP');
    expect(d.policies.catchupWindow).toBe(600_000);
    expect(d.spec.intervals?.[0]?.every).toBe(600_000);
    expect(d.action).toMatchObject({ workflowType: 'siteCron', workflowId: `cron/${SLUG}`, args: [{ site: SLUG }] });
    expect(d.state.paused).toBe(false);
  });

  it('tutti cron set changes the interval in place; platform up neither duplicates nor reverts it', async () => {
    const set = await tutti('cron', 'set', SLUG, '--every', '10s', '--timeout', '2m');
    expect(set).toMatchObject({ code: 0 });
    expect(set.stdout).toContain('every 10s, time limit 2m (schedule updated)');
    expect((await schedule(w.client)).spec.intervals?.[0]?.every).toBe(10_000);

    const up = await tutti('platform', 'up', '--no-worker');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/crons +1 site schedule\(s\), all up to date/);
    const again = await tutti('platform', 'up', '--no-worker');
    expect(again.stdout).toMatch(/crons +1 site schedule\(s\), all up to date/);
    expect(await listCronScheduleSlugs(w.client)).toEqual([SLUG]);
    expect((await schedule(w.client)).spec.intervals?.[0]?.every).toBe(10_000);
  });

  it('a lost schedule is made again by platform up', async () => {
    await w.client.schedule.getHandle(cronScheduleId(SLUG)).delete();
    const up = await tutti('platform', 'up', '--no-worker');
    expect(up.stdout).toMatch(/crons +1 site schedule\(s\): created cronwp/);
    expect((await schedule(w.client)).spec.intervals?.[0]?.every).toBe(10_000);
  });

  it("runs on its schedule: WordPress's due cron event ran in the site", async () => {
    await scheduleEvent(w.cfg, container, 'tutti_test_mark', 'scheduled1');
    const mark = await waitUntil('the event tutti_test_mark to run', () => wpOption(w.cfg, container, 'tutti_test_mark_scheduled1'), { timeoutMs: 60_000, intervalMs: 1_000 });
    expect(new Date(mark).getTime()).toBeGreaterThan(Date.now() - 120_000);
    const d = await schedule(w.client);
    expect(d.info.numActionsTaken).toBeGreaterThan(0);
    const last = d.info.recentActions.at(-1)!.action.workflow;
    expect(last.workflowId).toMatch(/^cron\/cronwp-\d{4}-\d\d-\d\dT/);
    const ran = await waitUntil('a completed run', async () => {
      for (const r of (await runs(w.client)).reverse()) if (r.status === 'COMPLETED') return (await w.client.workflow.getHandle(r.id, r.runId).result()) as SiteCronResult;
      return undefined;
    }, { timeoutMs: 30_000 });
    expect(ran).toMatchObject({ site: SLUG, outcome: 'ran', container });
    expect(ran.commands[0]).toMatchObject({ command: 'php /usr/local/bin/tutti-wp cron', exitCode: 0, outcome: 'ok' });
  });

  it('a failing cron is a failed run with its output tail, tagged, and shown by cron status', async () => {
    await pauseAndSettle(w.client, 'failure test');
    await scheduleEvent(w.cfg, container, 'tutti_test_fail', 'f1');
    const r = await tutti('cron', 'run', SLUG);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED .* cron\/cronwp-/);
    expect(r.stdout).toContain('tutti test hook failed on purpose (f1)');
    expect(r.stderr).toContain(`cron of ${SLUG} failed; see tutti cron status ${SLUG}`);

    const failed = (await runs(w.client)).filter((x) => x.status === 'FAILED').at(-1)!;
    const desc = await w.client.workflow.getHandle(failed.id, failed.runId).describe();
    expect(desc.typedSearchAttributes.get(SA.stage)).toBe('failed');
    expect(desc.typedSearchAttributes.get(SA.site)).toBe(SLUG);

    const status = await tutti('cron', 'status', SLUG);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/state +PAUSED: failure test/);
    expect(status.stdout).toMatch(/last run +FAILED /);
    expect(status.stdout).toContain('1 cron event(s) failed, first: tutti_test_fail: tutti test hook failed on purpose (f1)');
    expect(status.stdout).toMatch(/next run +-/);
    await tutti('cron', 'resume', SLUG);
  });

  it('an overrunning cron is not started twice; the skipped fires are counted', async () => {
    const before = await schedule(w.client);
    await scheduleEvent(w.cfg, container, 'tutti_test_slow', 25);
    const slow = await waitUntil('a run to start the slow event', async () => (await schedule(w.client)).info.runningActions[0]?.workflow, { timeoutMs: 30_000, intervalMs: 500 });
    // A manual run is refused too, rather than started beside it.
    const manual = await tutti('cron', 'run', SLUG);
    expect(manual.code).toBe(1);
    expect(manual.stderr).toContain(`the cron of ${SLUG} is already running (${slow.workflowId})`);
    await w.client.workflow.getHandle(slow.workflowId, slow.firstExecutionRunId).result();
    const after = await schedule(w.client);
    expect(after.info.numActionsSkippedOverlap).toBeGreaterThanOrEqual(before.info.numActionsSkippedOverlap + 1);
    const all = (await runs(w.client)).filter((x) => x.close !== undefined);
    for (let i = 1; i < all.length; i++) expect(all[i]!.start).toBeGreaterThanOrEqual(all[i - 1]!.close!);
    const status = await tutti('cron', 'status', SLUG, '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ site: SLUG, paused: false, every: 10, timeout: 120, skipped: after.info.numActionsSkippedOverlap });
  });

  it('a cron past its time limit is stopped in the container and fails the run', async () => {
    await pauseAndSettle(w.client);
    expect((await tutti('cron', 'set', SLUG, '--timeout', '5s')).code).toBe(0);
    await scheduleEvent(w.cfg, container, 'tutti_test_slow', 60);
    const started = Date.now();
    const r = await tutti('cron', 'run', SLUG);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('php /usr/local/bin/tutti-wp cron ran past its time limit of 5s and was stopped');
    expect(Date.now() - started).toBeLessThan(45_000);
    // Nothing left running: the container's cron lock is free again.
    const lock = await exec(createDocker(w.cfg.docker), container, ['flock', '-n', '/tmp/tutti-cron.lock', 'true'], { user: 'www-data' });
    expect(lock.exitCode).toBe(0);
    expect((await tutti('cron', 'set', SLUG, '--timeout', '2m')).code).toBe(0);
    await tutti('cron', 'resume', SLUG);
  });

  it('skips, with the reason, while an upgrade, restore or migration holds the site', async () => {
    await pauseAndSettle(w.client);
    // A lifecycle run nobody serves stands for a long migration waiting for approval.
    const lifecycle = await w.client.workflow.start('migrateSite', { workflowId: `site/${SLUG}`, taskQueue: 'tutti-test-nobody', args: [{}] });
    try {
      const r = await tutti('cron', 'run', SLUG);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^SKIPPED /);
      expect(r.stderr).toMatch(/cron of cronwp skipped: site is busy with migrateSite since \d{4}-/);
    } finally {
      await lifecycle.terminate('test done');
      await tutti('cron', 'resume', SLUG);
    }
  });

  it('pause stops the runs; resume starts them again', async () => {
    await tutti('cron', 'pause', SLUG);
    await new Promise((r) => setTimeout(r, 2_000)); // a run fired just before the pause may still be starting
    const paused = await schedule(w.client);
    expect(paused.state.paused).toBe(true);
    expect((await tutti('cron', 'status', SLUG)).stdout).toMatch(/next run +-\n/);
    await new Promise((r) => setTimeout(r, 21_000));
    expect((await schedule(w.client)).info.numActionsTaken).toBe(paused.info.numActionsTaken);
    await tutti('cron', 'resume', SLUG);
    await waitUntil('a run after resume', async () => ((await schedule(w.client)).info.numActionsTaken > paused.info.numActionsTaken ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
  });

  it('deleting the site removes its schedule and settings; platform up does not bring them back', async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result();
    expect(await describeCronSchedule(w.client, SLUG)).toBeUndefined();
    const db = rootDb(w.cfg);
    try {
      expect(await getCronSettings(db, SLUG)).toEqual({ everySeconds: null, timeoutSeconds: null });
    } finally {
      await db.end();
    }
    // A schedule whose site is gone (a deleteSite that died half-way) is removed by up.
    await ensureCronSchedule(w.client, { slug: 'ghost', host: w.cfg.hostName, policy: cronPolicy('ghost', 'wordpress', { everySeconds: 3600, timeoutSeconds: null }, w.cfg.cron), taskQueue: w.cfg.temporal.taskQueue, commands: 1 });
    await waitUntil('the ghost schedule listed', async () => ((await listCronScheduleSlugs(w.client)).includes('ghost') ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });
    const up = await tutti('platform', 'up', '--no-worker');
    expect(up.stdout).toMatch(/crons +0 site schedule\(s\): removed left-over ghost/);
    expect(await describeCronSchedule(w.client, 'ghost')).toBeUndefined();
    const again = await tutti('platform', 'up', '--no-worker');
    expect(again.stdout).toMatch(/crons +0 site schedule\(s\), all up to date/);
  });
});
