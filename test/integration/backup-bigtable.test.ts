import { startBackupSite, startRestoreSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { OBJECT, objectKey } from '../../src/backup/layout';
import { parseManifest } from '../../src/backup/manifest';
import type { BackupResult } from '../../workflows/backupSite';
import type { RestoreResult } from '../../workflows/restoreSite';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { bulkRows, copyBackup, liveDatabase, page, sql, tableChecksums, testBucket } from '../helpers/backupHelpers';

const SLUG = 'tuba';
const DOMAIN = 'tuba.example';

describe('a site whose database is mostly one table, in zstd and in the gzip format of earlier backups', () => {
  let w: RunningWorker;
  beforeAll(async () => {
    w = await startWorker();
    await (await startCreateSite(w.client, w.cfg, { domains: [DOMAIN], title: 'Tuba Consort' })).result();
  });
  afterAll(async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(w.cfg).removeFolder(`${w.cfg.s3.prefix}/${SLUG}/`, OBJECT.manifest);
    await w.stop();
  });

  it('backs up compressed with zstd, restores every row; a gzip copy of the backup restores too', async () => {
    const db1 = await liveDatabase(w.cfg, SLUG);
    await bulkRows(w.cfg, db1, 'tutti_ledger', 40);
    await sql(w.cfg, db1, 'ANALYZE TABLE tutti_ledger'); // information_schema's sizes are estimates, refreshed here
    const sizes = await sql(w.cfg, db1, "SELECT TABLE_NAME AS t, DATA_LENGTH AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [db1]);
    const ledger = Number(sizes.find((r) => r.t === 'tutti_ledger')!.n);
    const others = sizes.filter((r) => r.t !== 'tutti_ledger').reduce((a, r) => a + Number(r.n), 0);
    expect(ledger).toBeGreaterThan(others);
    const before = await tableChecksums(w.cfg, db1);
    const [{ n: ledgerRows }] = await sql(w.cfg, db1, 'SELECT COUNT(*) AS n FROM tutti_ledger');

    const backup = (await (await startBackupSite(w.client, w.cfg, { site: SLUG })).result()) as BackupResult;
    const manifest = parseManifest((await testBucket(w.cfg).readText(objectKey(w.cfg.s3.prefix, SLUG, backup.backupId, OBJECT.manifest)))!, { slug: SLUG, backupId: backup.backupId });
    expect(manifest.objects.db).toMatchObject({ name: OBJECT.dbZstd, compression: 'zstd' });
    expect(manifest.objects.files).toMatchObject({ name: OBJECT.filesZstd, compression: 'zstd' });
    expect(manifest.database.rows.tutti_ledger).toBe(Number(ledgerRows));
    // tens of MB of dump (bulkRows counts 400 bytes a row; hex hashes dump a little smaller), stored compressed
    expect(manifest.objects.db.rawBytes).toBeGreaterThan(30 * 1_048_576);
    expect(manifest.objects.db.bytes).toBeLessThan(manifest.objects.db.rawBytes / 1.5);
    expect((await testBucket(w.cfg).head(objectKey(w.cfg.s3.prefix, SLUG, backup.backupId, OBJECT.dbZstd)))?.size).toBe(manifest.objects.db.bytes);

    await sql(w.cfg, db1, 'DELETE FROM tutti_ledger WHERE id % 3 = 0');
    const r1 = (await (await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId: backup.backupId, safetyBackup: false })).result()) as RestoreResult;
    const db2 = await liveDatabase(w.cfg, SLUG);
    expect(db2).not.toBe(db1);
    expect(await tableChecksums(w.cfg, db2)).toEqual(before);
    expect(r1.rows).toBeGreaterThan(Number(ledgerRows));

    // the same backup as earlier versions stored it: gzip objects named .gz, the manifest saying so
    const gzipId = backup.backupId.replace(/-[a-z0-9]{6}$/, '-gzip01');
    await copyBackup(w.cfg, { slug: SLUG, id: backup.backupId }, { slug: SLUG, id: gzipId }, { recompress: 'gzip' });
    const gz = parseManifest((await testBucket(w.cfg).readText(objectKey(w.cfg.s3.prefix, SLUG, gzipId, OBJECT.manifest)))!, { slug: SLUG, backupId: gzipId });
    expect(gz.objects.db).toMatchObject({ name: OBJECT.db, compression: 'gzip' });
    await sql(w.cfg, db2, 'DELETE FROM tutti_ledger WHERE id % 2 = 0');
    await (await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId: gzipId, safetyBackup: false })).result();
    const db3 = await liveDatabase(w.cfg, SLUG);
    expect(db3).not.toBe(db2);
    expect(await tableChecksums(w.cfg, db3)).toEqual(before);
    expect((await page(w.cfg, DOMAIN)).status).toBe(200);
  });
});
