import { OBJECT, sitePrefix } from '../../src/backup/layout';
import { startRestoreSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import type { BackupResult } from '../../workflows/backupSite';
import type { RestoreResult } from '../../workflows/restoreSite';
import { liveDatabase, page, sql, testBucket, tutti } from '../helpers/backupHelpers';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inventory, NOTHING } from '../helpers/sites';

const SLUG = 'lied';

describe('the bucket alone is enough', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
    await (await startCreateSite(w.client, w.cfg, { domains: ['lied.example'], title: 'Lied Circle' })).result();
  });
  afterAll(async () => {
    for (const site of [SLUG, 'lied-copy']) await (await startDeleteSite(w.client, w.cfg, { site, finalBackup: false })).result().catch(() => undefined);
    await testBucket(w.cfg).removeFolder(sitePrefix(w.cfg.s3.prefix, SLUG), OBJECT.manifest);
    await w.stop();
  });

  it('after the site, its registry row, secrets, database and volume are gone: list and restore from S3, in place and --to', async () => {
    await sql(w.cfg, await liveDatabase(w.cfg, SLUG), "UPDATE wp_posts SET post_title = 'Lieder ohne Worte' WHERE post_title = 'Hello world!'");
    const created = await tutti(['backup', 'create', SLUG, '--wait', '--json']);
    expect(created.stderr).toMatch(/^\[\d+s\] .*(database|files|manifest|complete)/m); // progress lines (not a TTY)
    expect(created.status).toBe(0);
    const backup = JSON.parse(created.stdout) as BackupResult;

    // a fresh control plane knows nothing of the site: all that is left is in the bucket
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result();
    expect(await inventory(w.cfg, SLUG)).toEqual(NOTHING);

    const listed = await tutti(['backup', 'list', SLUG, '--json']);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: backup.backupId, state: 'good', spec: expect.objectContaining({ domains: ['lied.example'] }) })]);

    const back = (await (await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId: backup.backupId })).result()) as RestoreResult;
    expect(back).toMatchObject({ site: SLUG, mode: 'new-site', url: 'http://lied.example/' });
    const home = await page(w.cfg, 'lied.example');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Lieder ohne Worte');
    expect((await inventory(w.cfg, SLUG)).registered).toBe(true);

    const restore = await tutti(['restore', SLUG, '--backup', backup.backupId, '--to', 'lied-copy.example', '--wait', '--json']);
    expect(restore.status).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ site: 'lied-copy', mode: 'new-site' });
    const copy = await page(w.cfg, 'lied-copy.example');
    expect(copy.status).toBe(200);
    expect(copy.body).toContain('Lieder ohne Worte');
    expect((await page(w.cfg, 'lied.example')).body).toContain('Lieder ohne Worte');
  });
});
