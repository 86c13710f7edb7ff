import { OBJECT, sitePrefix } from '../../src/backup/layout';
import { DumpScan, dumpProblems } from '../../src/backup/dumpScan';
import { startBackupSite, startRestoreSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { createDocker } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { databaseCounts } from '../../src/infra/dump';
import { platformNames } from '../../src/site/names';
import type { BackupResult } from '../../workflows/backupSite';
import { copyBackup, failureOf, liveDatabase, page, rootPool, sql, tableChecksums, testBucket } from '../helpers/backupHelpers';
import { startWorker, type RunningWorker } from '../helpers/platform';
import { inventory } from '../helpers/sites';

const SLUG = 'fuga';

/** Backup IDs for the forged copies: all distinct, all valid. */
const forged = (n: number) => `20260101T00000${n}Z-forged`;

describe('restoreSite refuses damaged, foreign and incomplete backups; the live site stays as it was', () => {
  let w: RunningWorker;
  let good: BackupResult;
  let live: string;
  let before: Record<string, number | string>;
  let inv: Awaited<ReturnType<typeof inventory>>;

  beforeAll(async () => {
    w = await startWorker();
    await (await startCreateSite(w.client, w.cfg, { domains: ['fuga.example'], title: 'Fuga Quartet' })).result();
    live = await liveDatabase(w.cfg, SLUG);
    await sql(w.cfg, live, 'CREATE TABLE tutti_log (id INT AUTO_INCREMENT PRIMARY KEY, title TEXT)');
    await sql(w.cfg, live, 'CREATE TRIGGER tutti_post_log AFTER UPDATE ON wp_posts FOR EACH ROW INSERT INTO tutti_log (title) VALUES (NEW.post_title)');
    await sql(w.cfg, live, 'CREATE PROCEDURE tutti_count_posts() SELECT COUNT(*) FROM wp_posts');
    good = (await (await startBackupSite(w.client, w.cfg, { site: SLUG })).result()) as BackupResult;
    before = await tableChecksums(w.cfg, live);
    inv = await inventory(w.cfg, SLUG);
  });
  afterAll(async () => {
    await (await startDeleteSite(w.client, w.cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(w.cfg).removeFolder(sitePrefix(w.cfg.s3.prefix, SLUG), OBJECT.manifest);
    await testBucket(w.cfg).removeFolder(sitePrefix(w.cfg.s3.prefix, 'other'), OBJECT.manifest);
    await w.stop();
  });

  async function expectRefused(backupId: string, type: string, message: RegExp): Promise<void> {
    const cause = await failureOf((await startRestoreSite(w.client, w.cfg, { site: SLUG, backupId })).result());
    expect(cause.type).toBe(type);
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toMatch(message);
    expect(await liveDatabase(w.cfg, SLUG)).toBe(live);
    expect(await tableChecksums(w.cfg, live)).toEqual(before);
    expect(await inventory(w.cfg, SLUG)).toEqual(inv);
    expect((await page(w.cfg, 'fuga.example')).status).toBe(200);
  }

  it('a truncated object', async () => {
    await copyBackup(w.cfg, { slug: SLUG, id: good.backupId }, { slug: SLUG, id: forged(1) }, { files: (b) => b.subarray(0, Math.floor(b.length / 2)) });
    await expectRefused(forged(1), 'BackupCorrupt', /files\.tar\.zst .* has \d+ bytes, the manifest says \d+: truncated/);
  });

  it('an object with one byte flipped', async () => {
    await copyBackup(w.cfg, { slug: SLUG, id: good.backupId }, { slug: SLUG, id: forged(2) }, {
      files: (b) => {
        const c = Buffer.from(b);
        c[Math.floor(c.length / 2)] ^= 0x01;
        return c;
      },
    });
    await expectRefused(forged(2), 'BackupCorrupt', /files\.tar\.zst .* does not match its checksum/);
  });

  it("another site's backup copied under this site (foreign)", async () => {
    await copyBackup(w.cfg, { slug: SLUG, id: good.backupId }, { slug: 'other', id: forged(3) }, { manifest: (m) => ({ ...m, site: 'other', spec: { ...m.spec, slug: 'other' } }) });
    await copyBackup(w.cfg, { slug: 'other', id: forged(3) }, { slug: SLUG, id: forged(3) });
    await expectRefused(forged(3), 'BackupCorrupt', /foreign backup/);
  });

  it('a backup without manifest, and one that does not exist', async () => {
    await copyBackup(w.cfg, { slug: SLUG, id: good.backupId }, { slug: SLUG, id: forged(4) }, { noManifest: true });
    await expectRefused(forged(4), 'BackupIncomplete', /has no manifest/);
    await expectRefused(forged(5), 'BackupNotFound', /has no backup/);
  });

  it('a well-formed forgery whose dump lacks the trigger: checksums pass, the count check refuses it before the switch', async () => {
    await copyBackup(w.cfg, { slug: SLUG, id: good.backupId }, { slug: SLUG, id: forged(6) }, {
      db: (text) => {
        const stripped = text.replace(/\/\*!50003 CREATE\*\/ \/\*!50017 DEFINER=[^\n]*TRIGGER[\s\S]*?\*\/;;\n/g, '');
        expect(stripped.length).toBeLessThan(text.length);
        return stripped;
      },
      rehash: true,
    });
    await expectRefused(forged(6), 'BackupCorrupt', /does not match the manifest .*triggers: expected 1, found 0/);
  });

  it('a dump taken without triggers and routines is detected, not passed', async () => {
    const docker = createDocker(w.cfg.docker);
    const r = await exec(docker, platformNames(w.cfg.prefix).mariadbContainer, ['mariadb-dump', '--single-transaction', '--skip-triggers', '--', live]);
    expect(r.exitCode).toBe(0);
    const scan = new DumpScan();
    scan.feed(Buffer.from(r.stdout));
    const db = rootPool(w.cfg);
    try {
      const server = await databaseCounts(db, live);
      expect(server).toMatchObject({ triggers: 1, routines: 1 });
      expect(dumpProblems(scan.result(), server)).toEqual(['the dump holds 0 triggers but the database has 1', 'the dump holds 0 routines but the database has 1']);
    } finally {
      await db.end();
    }
  });
});
