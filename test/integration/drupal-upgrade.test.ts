import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { startUpgradeSite } from '../../src/client/upgrades';
import { createDocker, imageId } from '../../src/infra/docker';
import { DRUPAL_ROOT } from '../../src/site/platforms';
import type { UpgradeSiteResult } from '../../src/site/upgrade';
import { liveDatabase, page, sql } from '../helpers/backupHelpers';
import { drupalStatus, drush } from '../helpers/drupal';
import { startLoad } from '../helpers/load';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING } from '../helpers/sites';

const OLD = 'tutti/drupal:10.2-php8.2-bookworm';
const NEW = 'tutti/drupal:10.3-php8.2-bookworm';
const SLUG = 'dru';
const DOMAIN = 'dru.example';

// Caches, logs, sessions and locks change with every page view (the upgrade's own checks are page views).
const VOLATILE = /^(cache_|cachetags$|watchdog$|sessions$|semaphore$|flood$|key_value_expire$)/;

async function contentChecksums(w: RunningWorker): Promise<Record<string, number>> {
  const db = await liveDatabase(w.cfg, SLUG);
  const tables = await sql(w.cfg, db, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [db]);
  const out: Record<string, number> = {};
  for (const { t } of tables) {
    if (VOLATILE.test(String(t))) continue;
    out[String(t)] = Number((await sql(w.cfg, db, `CHECKSUM TABLE \`${String(t)}\``))[0]!.Checksum);
  }
  return out;
}

async function active(w: RunningWorker): Promise<string> {
  return (await inventory(w.cfg, SLUG)).containers[0]!;
}

// One Drupal 10.2 site; the failing upgrade runs first (it leaves the site on 10.2), then the real one.
describe('upgradeSite: a Drupal code update 10.2 → 10.3', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
    await (await startCreateSite(w.client, w.cfg, { domains: [DOMAIN], platform: 'drupal', image: OLD, title: 'Harbour Upgrade' })).result();
    await drush(w.cfg, await active(w), 'php:eval', "\\Drupal\\node\\Entity\\Node::create(['type' => 'article', 'title' => 'Written on ten two', 'status' => 1, 'promote' => 1])->save();");
  });
  afterAll(async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await w.stop();
  });

  it('a failure after drush updatedb: 10.2 code and database come back exactly (CHECKSUM TABLE equal)', async () => {
    const before = await contentChecksums(w);
    expect(Object.keys(before)).toContain('node_field_data');
    const oldId = await imageId(createDocker(w.cfg.docker), OLD);
    const breakIt = ['drush', `--root=${DRUPAL_ROOT}`, 'php:eval', "\\Drupal::state()->set('tutti.broken_upgrade', 1); exit(3);"];
    const err = await (await startUpgradeSite(w.client, w.cfg, { site: SLUG, image: NEW, extraUpdateSteps: [breakIt], drainSeconds: 1 })).result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    const result = cause.details?.[0] as UpgradeSiteResult;
    expect(cause.message).toMatch(/exited 3/);
    expect(result.rolledBack?.join(' ')).toMatch(/database restored from the pre-upgrade snapshot/);
    const container = await active(w);
    expect((await createDocker(w.cfg.docker).getContainer(container).inspect()).Image).toBe(oldId);
    expect(await drupalStatus(w.cfg, container)).toMatchObject({ drupal_version: '10.2.12', bootstrap: 'Successful' });
    expect(await contentChecksums(w)).toEqual(before);
    expect((await page(w.cfg, DOMAIN)).body).toContain('Written on ten two');
  });

  it('under load: drush updatedb runs the 10.3 update hooks, no request fails, content intact', async () => {
    const load = startLoad(w.cfg.varnish.httpPort, DOMAIN);
    const result = (await (await startUpgradeSite(w.client, w.cfg, { site: SLUG, image: NEW, drainSeconds: 2 })).result()) as UpgradeSiteResult;
    const report = await load.stop();
    expect(report.requests).toBeGreaterThan(20);
    expect(report.failures).toEqual({});
    expect(result).toMatchObject({ outcome: 'upgraded', image: NEW });
    const update = JSON.parse(result.updateSteps![0]!.replace(/^tutti-drupal update: /, '')) as { from: string; to: string; updates: string[] };
    expect(update).toMatchObject({ from: '10.2.12', to: '10.3.7' });
    expect(update.updates).toEqual(expect.arrayContaining(['block_content_update_10300', 'system_post_update_add_langcode_to_all_translatable_config']));
    const container = await active(w);
    expect(await drupalStatus(w.cfg, container)).toMatchObject({ drupal_version: '10.3.7', bootstrap: 'Successful' });
    expect((await drush(w.cfg, container, 'updatedb:status', '--format=json')).trim()).toMatch(/^(\[\])?$/);
    expect((await page(w.cfg, DOMAIN)).body).toContain('Written on ten two');
    expect((await inventory(w.cfg, SLUG)).databases).toHaveLength(1);
  });

  it('deleteSite leaves nothing', async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result();
    expect(await inventory(w.cfg, SLUG)).toEqual(NOTHING);
  });
});
