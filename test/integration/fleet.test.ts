import { startUpgradeFleet, continueFleet, fleetStatus, stopFleet } from '../../src/client/fleet';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { failureLine } from '../../src/client/follow';
import { getSite } from '../../src/infra/registry';
import { waitUntil } from '../../src/infra/wait';
import type { FleetStatus } from '../../src/site/fleet';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { phpIn, rootDb } from '../helpers/sites';

const NEW = 'tutti/wordpress:php8.4-trixie';

describe('upgradeFleet', () => {
  let w: RunningWorker;
  const slugs = ['fleet-a', 'fleet-b', 'fleet-c'];
  beforeAll(async () => {
    w = await startWorker();
    await Promise.all(slugs.map(async (slug) => (await startCreateSite(w.client, w.cfg, { domains: [`${slug}.example`], title: `Site ${slug}` })).result()));
    // fleet-b is broken on the new image for a real reason: a must-use plugin whose front-end code fails on PHP 8.4
    // (wp-login.php still works, so only the check of its front page can tell).
    const db = rootDb(w.cfg);
    const b = (await getSite(db, 'fleet-b'))!;
    await db.end();
    const plugin = "<?php add_action('template_redirect', function () { if (PHP_VERSION_ID >= 80400) { throw new Error('legacy-shortcodes: needs PHP < 8.4'); } });\n";
    const put = await phpIn(w.cfg, b.activeContainer!, `require "/usr/share/wordpress/wp-load.php"; @mkdir(WPMU_PLUGIN_DIR, 0755, true); echo file_put_contents(WPMU_PLUGIN_DIR . "/legacy-shortcodes.php", ${JSON.stringify(plugin)});`);
    expect(Number(put.stdout)).toBeGreaterThan(0);
  });
  afterAll(async () => {
    for (const slug of slugs) await (await startDeleteSite(w.client, w.cfg, { site: slug })).result().catch(() => undefined);
    await w.stop();
  });

  const paused = (id: string) =>
    waitUntil(`fleet ${id} paused`, async () => {
      const s = await fleetStatus(w.client, id);
      return s.state === 'paused' ? s : undefined;
    }, { timeoutMs: 300_000, intervalMs: 1_000 });

  it('pauses at the broken site; continue upgrades the rest', async () => {
    const handle = await startUpgradeFleet(w.client, w.cfg, { toImage: NEW, sites: slugs, batchSize: 1, drainSeconds: 1 });
    const atPause = await paused(handle.workflowId);
    expect(atPause).toMatchObject({ upgraded: ['fleet-a'], pending: ['fleet-c'], running: [] });
    expect(atPause.rolledBack.map((r) => r.site)).toEqual(['fleet-b']);
    expect(atPause.rolledBack[0]!.failure).toMatch(/expected HTTP 200 showing the title "Site fleet-b[^"]*", saw HTTP 500/);
    expect(atPause.pausedBecause).toMatch(/fleet-b failed; continue or stop/);
    const resumed = await continueFleet(w.client, handle.workflowId);
    expect(resumed.state).toBe('running');
    const done = (await handle.result()) as FleetStatus;
    expect(done).toMatchObject({ state: 'done', upgraded: ['fleet-a', 'fleet-c'], pending: [] });
    expect(failureLine(await continueFleet(w.client, handle.workflowId).catch((e: unknown) => e))).toMatch(/not paused|completed|closed/i);
  });

  it('stop needs a reason, then ends the fleet and leaves the pending sites alone', async () => {
    const handle = await startUpgradeFleet(w.client, w.cfg, { toImage: NEW, sites: ['fleet-b', 'fleet-a'], batchSize: 1, drainSeconds: 1 });
    await paused(handle.workflowId);
    const refused = await stopFleet(w.client, handle.workflowId, ' ').catch((e: unknown) => e);
    expect(failureLine(refused)).toMatch(/a reason is required to stop the fleet/);
    const stopped = await stopFleet(w.client, handle.workflowId, 'looking into fleet-b');
    expect(stopped.stoppedBecause).toBe('looking into fleet-b');
    const end = (await handle.result()) as FleetStatus;
    expect(end).toMatchObject({ state: 'stopped', pending: ['fleet-a'], upgraded: [] });
    const db = rootDb(w.cfg);
    try {
      expect((await getSite(db, 'fleet-b'))!.spec.image).toBe('tutti/wordpress:php8.2-bookworm');
    } finally {
      await db.end();
    }
  });
});
