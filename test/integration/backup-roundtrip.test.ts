import { startBackupSite, startRestoreSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { OBJECT, objectKey } from '../../src/backup/layout';
import { parseManifest } from '../../src/backup/manifest';
import { siteNames } from '../../src/site/names';
import type { BackupResult } from '../../workflows/backupSite';
import type { RestoreResult } from '../../workflows/restoreSite';
import { inventory, NOTHING } from '../helpers/sites';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inWeb, liveDatabase, page, pollAnswers, sql, tableChecksums, testBucket } from '../helpers/backupHelpers';

const SLUG = 'rondo';
const DOMAIN = 'rondo.example';

describe('backupSite and restoreSite in place', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
    await (await startCreateSite(w.client, w.cfg, { domains: [DOMAIN], title: 'Rondo Choir' })).result();
  });
  afterAll(async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(w.cfg).removeFolder(`${w.cfg.s3.prefix}/${SLUG}/`, OBJECT.manifest);
    await w.stop();
  });

  it('backup, change the content, restore: content, files, triggers and routines are back; checksums equal; 200 all along', async () => {
    const db1 = await liveDatabase(w.cfg, SLUG);
    await sql(w.cfg, db1, 'CREATE TABLE tutti_log (id INT AUTO_INCREMENT PRIMARY KEY, title TEXT)');
    await sql(w.cfg, db1, "CREATE TRIGGER tutti_post_log AFTER UPDATE ON wp_posts FOR EACH ROW INSERT INTO tutti_log (title) VALUES (NEW.post_title)");
    await sql(w.cfg, db1, 'CREATE PROCEDURE tutti_count_posts() SELECT COUNT(*) FROM wp_posts');
    await inWeb(w.cfg, SLUG, ['sh', '-c', 'mkdir -p /var/lib/wordpress/wp-content/uploads && echo "the score of 1723" > /var/lib/wordpress/wp-content/uploads/score.txt'], 'www-data');
    expect((await page(w.cfg, DOMAIN, '/wp-content/uploads/score.txt')).body).toContain('the score of 1723');
    expect((await page(w.cfg, DOMAIN)).body).toContain('Hello world!');
    const before = await tableChecksums(w.cfg, db1);

    const backup = (await (await startBackupSite(w.client, w.cfg, { site: SLUG })).result()) as BackupResult;
    expect(backup.backupId).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]{6}$/);
    const manifestText = await testBucket(w.cfg).readText(objectKey(w.cfg.s3.prefix, SLUG, backup.backupId, OBJECT.manifest));
    const manifest = parseManifest(manifestText!, { slug: SLUG, backupId: backup.backupId });
    expect(manifest.database.counts).toMatchObject({ triggers: 1, routines: 1 });
    expect(manifest.database.rows.wp_posts).toBeGreaterThan(0);
    expect(manifest.spec.domains).toEqual([DOMAIN]);
    expect(manifest.files.entries).toBeGreaterThan(3);

    // vandalise: content, the trigger, the routine and the files
    await sql(w.cfg, db1, "UPDATE wp_posts SET post_title = 'Vandalised' WHERE post_title = 'Hello world!'");
    await sql(w.cfg, db1, 'DROP TRIGGER tutti_post_log');
    await sql(w.cfg, db1, 'DROP PROCEDURE tutti_count_posts');
    await inWeb(w.cfg, SLUG, ['sh', '-c', 'rm /var/lib/wordpress/wp-content/uploads/score.txt && echo junk > /var/lib/wordpress/wp-content/uploads/junk.txt'], 'www-data');
    expect((await page(w.cfg, DOMAIN)).body).toContain('Vandalised');

    const poll = pollAnswers(w.cfg, DOMAIN);
    const restored = (await (await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId: backup.backupId })).result()) as RestoreResult;
    await new Promise((r) => setTimeout(r, 1_000));
    const statuses = await poll.stop();
    expect(restored).toMatchObject({ mode: 'in-place', generation: 2, container: siteNames(w.cfg.prefix, SLUG).webContainer('green') });
    // the vandalised state was saved first: restoring the wrong backup would have lost nothing
    const safety = await testBucket(w.cfg).readText(objectKey(w.cfg.s3.prefix, SLUG, restored.safetyBackup!, OBJECT.manifest));
    expect(parseManifest(safety!, { slug: SLUG, backupId: restored.safetyBackup! })).toMatchObject({ reason: 'pre-restore', database: { counts: { triggers: 0, routines: 0 } } });
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s.status !== 200)).toEqual([]);

    const home = await page(w.cfg, DOMAIN);
    expect(home.body).toContain('Hello world!');
    expect(home.body).not.toContain('Vandalised');
    expect((await page(w.cfg, DOMAIN, '/wp-content/uploads/score.txt')).body).toContain('the score of 1723');
    expect((await page(w.cfg, DOMAIN, '/wp-content/uploads/junk.txt')).status).toBe(404);

    const db2 = await liveDatabase(w.cfg, SLUG);
    expect(db2).toBe(siteNames(w.cfg.prefix, SLUG).databaseOf(2));
    const after = await tableChecksums(w.cfg, db2);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after).toEqual(before);
    expect((await sql(w.cfg, db2, 'SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db2]))[0]!.n).toBe(1);
    expect((await sql(w.cfg, db2, 'SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?', [db2]))[0]!.n).toBe(1);
    await sql(w.cfg, db2, "UPDATE wp_posts SET post_title = 'Hello again' WHERE post_title = 'Hello world!'");
    expect((await sql(w.cfg, db2, 'SELECT title FROM tutti_log'))[0]!.title).toBe('Hello again'); // the trigger fires

    // the old generation is gone, only the new one remains
    const inv = await inventory(w.cfg, SLUG);
    expect(inv.databases).toEqual([db2]);
    expect(inv.containers).toEqual([siteNames(w.cfg.prefix, SLUG).webContainer('green')]);
    expect(inv.volumes).toEqual([siteNames(w.cfg.prefix, SLUG).filesVolumeOf(2)]);
    expect(await testBucket(w.cfg).listUploads(`${w.cfg.s3.prefix}/${SLUG}/`)).toEqual([]);
  });

  it('deleteSite takes a final backup, which outlives the site', async () => {
    const removed = (await (await startDeleteSite(w.client, w.cfg, { site: SLUG })).result()) as { finalBackup: string | null };
    expect(removed.finalBackup).toMatch(/^\d{8}T\d{6}Z-[a-z0-9]{6}$/);
    expect(await inventory(w.cfg, SLUG)).toEqual(NOTHING);
    const manifest = await testBucket(w.cfg).readText(objectKey(w.cfg.s3.prefix, SLUG, removed.finalBackup!, OBJECT.manifest));
    expect(parseManifest(manifest!, { slug: SLUG, backupId: removed.finalBackup! }).reason).toBe('final');
  });
});
