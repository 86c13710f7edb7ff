import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { OBJECT, objectKey, sitePrefix } from '../../src/backup/layout';
import { startBackupSite, startRestoreSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { listSiteBackups } from '../../src/infra/backupCatalog';
import { waitUntil } from '../../src/infra/wait';
import type { BackupResult } from '../../workflows/backupSite';
import { bulkRows, dumpProcesses, liveDatabase, sql, tableChecksums, testBucket } from '../helpers/backupHelpers';
import { testClient, testConfig } from '../helpers/platform';
import { WorkerProcess } from '../helpers/workerProcess';

const SLUG = 'kanon';

describe('backupSite survives a worker SIGKILLed mid-upload', () => {
  const cfg = testConfig();
  let client: Client;
  let worker: WorkerProcess;
  beforeAll(async () => {
    client = await testClient(cfg);
    worker = new WorkerProcess(cfg, 'backup-crash-1');
    await worker.start();
    await (await startCreateSite(client, cfg, { domains: ['kanon.example'], title: 'Kanon Ensemble' })).result();
    // enough rows that the dump and upload take several seconds
    await bulkRows(cfg, await liveDatabase(cfg, SLUG), 'tutti_bulk', 150);
  });
  afterAll(async () => {
    await (await startDeleteSite(client, cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(cfg).removeFolder(sitePrefix(cfg.s3.prefix, SLUG), OBJECT.manifest);
    await worker.stop();
    await client.connection.close();
  });

  it('exactly one complete backup, no stray multipart upload, never two dumps at once, and it restores', async () => {
    const database = await liveDatabase(cfg, SLUG);
    const before = await tableChecksums(cfg, database);
    const bucket = testBucket(cfg);
    const handle = await startBackupSite(client, cfg, { site: SLUG });
    await waitUntil(
      `multipart upload of ${SLUG}'s dump`,
      async () => ((await bucket.listUploads(sitePrefix(cfg.s3.prefix, SLUG))).some((u) => u.key.endsWith(`/${OBJECT.dbZstd}`)) ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(await dumpProcesses(cfg, database)).toBe(1);
    await worker.kill();
    // the killed worker's dump lives on in the MariaDB container, and its upload is stranded
    expect(await dumpProcesses(cfg, database)).toBe(1);
    expect((await bucket.listUploads(sitePrefix(cfg.s3.prefix, SLUG))).length).toBe(1);

    let maxDumps = 0;
    let watching = true;
    const watch = (async () => {
      while (watching) {
        maxDumps = Math.max(maxDumps, await dumpProcesses(cfg, database));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    worker = new WorkerProcess(cfg, 'backup-crash-2');
    await worker.start();
    const result = (await handle.result()) as BackupResult;
    watching = false;
    await watch;
    expect(maxDumps).toBe(1);
    expect(await dumpProcesses(cfg, database)).toBe(0);
    expect(await bucket.listUploads(sitePrefix(cfg.s3.prefix, SLUG))).toEqual([]);
    const backups = await listSiteBackups(bucket, cfg.s3.prefix, SLUG);
    expect(backups.map((b) => [b.id, b.state])).toEqual([[result.backupId, 'good']]);
    expect(await bucket.head(objectKey(cfg.s3.prefix, SLUG, result.backupId, OBJECT.dbZstd))).toMatchObject({ size: result.dbBytes });

    // the dump activity really ran twice
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThan(1);

    await sql(cfg, database, 'DELETE FROM tutti_bulk WHERE id % 2 = 0');
    await (await startRestoreSite(client, cfg, { site: SLUG, backupId: result.backupId })).result();
    const restoredDb = await liveDatabase(cfg, SLUG);
    expect(restoredDb).not.toBe(database);
    expect(await tableChecksums(cfg, restoredDb)).toEqual(before);
  });

  it('a cancelled backup aborts its upload and stops its dump, leaving nothing', async () => {
    const database = await liveDatabase(cfg, SLUG);
    await bulkRows(cfg, database, 'tutti_bulk_more', 250); // long enough to be cancelled mid-upload
    const bucket = testBucket(cfg);
    const objectsBefore = (await bucket.list(sitePrefix(cfg.s3.prefix, SLUG))).map((o) => o.key).sort();
    const handle = await startBackupSite(client, cfg, { site: SLUG });
    await waitUntil('multipart upload', async () => ((await bucket.listUploads(sitePrefix(cfg.s3.prefix, SLUG))).length ? true : undefined), { timeoutMs: 120_000, intervalMs: 100 });
    await handle.cancel();
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(await dumpProcesses(cfg, database)).toBe(0);
    expect(await bucket.listUploads(sitePrefix(cfg.s3.prefix, SLUG))).toEqual([]);
    expect((await bucket.list(sitePrefix(cfg.s3.prefix, SLUG))).map((o) => o.key).sort()).toEqual(objectsBefore);
  });
});
