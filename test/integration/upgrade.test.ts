import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { startUpgradeSite } from '../../src/client/upgrades';
import { createDocker, imageId } from '../../src/infra/docker';
import { getSite } from '../../src/infra/registry';
import { httpGet } from '../../src/infra/wait';
import type { UpgradeSiteResult } from '../../src/site/upgrade';
import { startLoad } from '../helpers/load';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { addPost, inventory, NOTHING, phpIn, rootDb, wpStatus } from '../helpers/sites';

const NEW = 'tutti/wordpress:php8.4-trixie';

describe('upgradeSite', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
  });
  afterAll(async () => {
    await w.stop();
  });

  async function site(slug: string, title: string) {
    await (await startCreateSite(w.client, w.cfg, { domains: [`${slug}.example`], title })).result();
    const record = await registry(slug);
    await addPost(w.cfg, record.activeContainer!, `${title} news`);
    return record;
  }

  async function registry(slug: string) {
    const db = rootDb(w.cfg);
    try {
      return (await getSite(db, slug))!;
    } finally {
      await db.end();
    }
  }

  async function failed(p: Promise<unknown>): Promise<{ cause: ApplicationFailure; result: UpgradeSiteResult }> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    return { cause, result: cause.details?.[0] as UpgradeSiteResult };
  }

  it('php8.2 → php8.4 under load, of a site renamed in WordPress since creation: no failed request, PHP 8.4, content intact, WordPress DB upgraded', async () => {
    const before = await site('upgr', 'Upgrade Choir');
    // Every client renames its site sooner or later: the checks compare with what it serves now, not the title at creation.
    const renamed = await phpIn(w.cfg, before.activeContainer!, 'require "/usr/share/wordpress/wp-load.php"; update_option("blogname", "Harmony & Friends"); echo get_option("blogname");');
    expect(renamed.stdout).toBe('Harmony &amp; Friends');
    const oldStatus = await wpStatus(w.cfg, before.activeContainer!);
    expect(oldStatus.php_version).toMatch(/^8\.2\./);
    const load = startLoad(w.cfg.varnish.httpPort, 'upgr.example');
    const result = (await (await startUpgradeSite(w.client, w.cfg, { site: 'upgr', image: NEW, drainSeconds: 2 })).result()) as UpgradeSiteResult;
    const report = await load.stop();
    expect(report.requests).toBeGreaterThan(20);
    expect(report.failures).toEqual({});
    expect(result).toMatchObject({ outcome: 'upgraded', image: NEW, previousImageId: before.imageId });
    expect(result.backupId).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]{6}$/); // the pre-upgrade backup in S3
    const after = await registry('upgr');
    expect(after.activeContainer).toMatch(/-web-green$/);
    expect(after.imageId).toBe(await imageId(createDocker(w.cfg.docker), NEW));
    const status = await wpStatus(w.cfg, after.activeContainer!);
    expect(status.php_version).toMatch(/^8\.4\./);
    expect(status.db_version).toBeGreaterThan(oldStatus.db_version);
    expect(status.needs_db_upgrade).toBe(false);
    const page = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'upgr.example');
    expect(page.body).toContain('Upgrade Choir news');
    expect(page.body).toContain('Harmony &amp; Friends');
    const inv = await inventory(w.cfg, 'upgr');
    expect(inv.containers).toEqual([after.activeContainer]);
    expect(inv.databases).toHaveLength(1);
    await (await startDeleteSite(w.client, w.cfg, { site: 'upgr' })).result();
    expect(await inventory(w.cfg, 'upgr')).toEqual(NOTHING);
  });

  it('a broken image: no failed request, the site stays on the exact previous image and content', async () => {
    const before = await site('brk', 'Broken Upgrade');
    const load = startLoad(w.cfg.varnish.httpPort, 'brk.example');
    const { cause, result } = await failed((await startUpgradeSite(w.client, w.cfg, { site: 'brk', image: 'tutti/wordpress:broken' })).result());
    const report = await load.stop();
    expect(report.failures).toEqual({});
    expect(cause.message).toMatch(/rolled back: removed .*-web-green; database untouched/);
    expect(result).toMatchObject({ outcome: 'rolled-back', imageId: before.imageId });
    const after = await registry('brk');
    expect(after).toMatchObject({ activeContainer: before.activeContainer, imageId: before.imageId, generation: before.generation });
    expect((await createDocker(w.cfg.docker).getContainer(before.activeContainer!).inspect()).Image).toBe(before.imageId);
    expect((await inventory(w.cfg, 'brk')).containers).toEqual([before.activeContainer]);
    expect((await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'brk.example')).body).toContain('Broken Upgrade news');
    await (await startDeleteSite(w.client, w.cfg, { site: 'brk' })).result();
  });

  it('an update step that fails after changing the DB: the DB comes back from the pre-upgrade snapshot', async () => {
    const before = await site('dbf', 'Database Kept');
    const breakIt = ['php', '-r', 'require "/usr/share/wordpress/wp-load.php"; update_option("blogname", "CHANGED BY A FAILED UPGRADE"); exit(3);'];
    const { cause, result } = await failed((await startUpgradeSite(w.client, w.cfg, { site: 'dbf', image: NEW, extraUpdateSteps: [breakIt] })).result());
    expect(cause.message).toMatch(/exited 3/);
    expect(result.rolledBack?.join(' ')).toMatch(/database restored from the pre-upgrade snapshot/);
    const after = await registry('dbf');
    expect(after.imageId).toBe(before.imageId);
    expect(after.generation).toBe(before.generation + 1);
    const status = await wpStatus(w.cfg, after.activeContainer!);
    expect(status.blogname).toBe('Database Kept');
    expect(status.php_version).toMatch(/^8\.2\./);
    const page = await httpGet(`http://127.0.0.1:${w.cfg.varnish.httpPort}/`, 'dbf.example');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Database Kept news');
    const inv = await inventory(w.cfg, 'dbf');
    expect(inv.containers).toEqual([after.activeContainer]);
    expect(inv.databases).toHaveLength(1);
    await (await startDeleteSite(w.client, w.cfg, { site: 'dbf' })).result();
  });
});
