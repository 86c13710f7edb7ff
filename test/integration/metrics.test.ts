import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { OBJECT, sitePrefix } from '../../src/backup/layout';
import { startBackupSite } from '../../src/client/backups';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { newestGoodBackup } from '../../src/infra/backupCatalog';
import { SecretStore } from '../../src/infra/secrets';
import { waitUntil } from '../../src/infra/wait';
import type { BackupResult } from '../../workflows/backupSite';
import { testBucket } from '../helpers/backupHelpers';
import { testClient, testConfig } from '../helpers/platform';
import { find, freePort, scrape, type Sample } from '../helpers/prometheus';
import { WorkerProcess } from '../helpers/workerProcess';

const SLUG = 'metrum';

/** The one sample of `name` with these labels; fails naming what was there instead. */
function one(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${JSON.stringify(find(samples, name))}`);
  return found[0]!.value;
}

describe("the worker's metrics endpoint and JSON log", () => {
  const cfg = testConfig();
  let client: Client;
  let worker: WorkerProcess;
  let address: string;

  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
    worker = new WorkerProcess(cfg, 'metrics', { ...process.env, TUTTI_METRICS_ADDRESS: address, TUTTI_METRICS_REFRESH_SECONDS: '5' });
    await worker.start();
    client = await testClient(cfg);
  });
  afterAll(async () => {
    await (await startDeleteSite(client, cfg, { site: SLUG, finalBackup: false })).result().catch(() => undefined);
    await testBucket(cfg).removeFolder(sitePrefix(cfg.s3.prefix, SLUG), OBJECT.manifest);
    await worker.stop();
    await client.connection.close();
  });

  it('reports operations, a backup’s bytes and the age of the newest good backup; log lines are JSON naming site and run', async () => {
    await (await startCreateSite(client, cfg, { domains: ['metrum.example'], title: 'Metrum Consort' })).result();

    // before its first backup the site is visible as missing one, its age infinite
    await waitUntil(`tutti_backup_missing{site="${SLUG}"} 1 on ${address}`, async () => (one((await scrape(address)).samples, 'tutti_backup_missing', { site: SLUG }) === 1 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 });
    expect(one((await scrape(address)).samples, 'tutti_backup_age_seconds', { site: SLUG })).toBe(Infinity);

    const handle = await startBackupSite(client, cfg, { site: SLUG });
    const result = (await handle.result()) as BackupResult;
    const newest = await newestGoodBackup(testBucket(cfg), cfg.s3.prefix, SLUG);
    expect(newest?.id).toBe(result.backupId);
    const manifest = newest!.manifest;

    const { samples, text } = await scrape(address);
    // bytes: each object's upload as the manifest records it
    expect(manifest.objects.db.bytes).toBeGreaterThan(0);
    expect(manifest.objects.files.bytes).toBeGreaterThan(0);
    expect(one(samples, 'tutti_backup_bytes_total', { site: SLUG, activityType: 'dumpDatabase' })).toBe(manifest.objects.db.bytes);
    expect(one(samples, 'tutti_backup_bytes_total', { site: SLUG, activityType: 'archiveFiles' })).toBe(manifest.objects.files.bytes);
    expect(one(samples, 'tutti_backup_last_size_bytes', { site: SLUG })).toBe(manifest.objects.db.bytes + manifest.objects.files.bytes);
    // age: set as soon as the manifest is written, without waiting for a refresh
    const age = one(samples, 'tutti_backup_age_seconds', { site: SLUG });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(180);
    expect(one(samples, 'tutti_backup_missing', { site: SLUG })).toBe(0);

    // a periodic refresh reads the same backup back from the bucket
    await new Promise((r) => setTimeout(r, 6_000));
    const later = (await scrape(address)).samples;
    expect(one(later, 'tutti_backup_age_seconds', { site: SLUG })).toBeGreaterThanOrEqual(age);
    expect(one(later, 'tutti_backup_age_seconds', { site: SLUG })).toBeLessThan(180);
    expect(one(later, 'tutti_backup_last_size_bytes', { site: SLUG })).toBe(manifest.objects.db.bytes + manifest.objects.files.bytes);

    // operations by type and result, counted once per run
    expect(one(samples, 'tutti_operations_total', { operation: 'createSite', result: 'completed' })).toBe(1);
    expect(one(samples, 'tutti_operations_total', { operation: 'backupSite', result: 'completed' })).toBe(1);
    expect(find(samples, 'tutti_operations_total', { result: 'failed' })).toEqual([]);
    // Temporal's own runtime metrics on the same endpoint
    expect(find(samples, 'temporal_workflow_completed', { workflow_type: 'backupSite' }).length).toBeGreaterThan(0);
    expect(find(samples, 'temporal_worker_task_slots_available').length).toBeGreaterThan(0);
    expect(text).toContain('# TYPE tutti_operations_total counter');

    // the log: JSON lines; the backup's workflow and activity lines carry site, workflow and run IDs
    const lines = worker
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const run = { site: SLUG, workflowId: `site/${SLUG}`, runId: handle.firstExecutionRunId };
    expect(lines.find((l) => l.message === 'backup complete')).toMatchObject({ ...run, workflowType: 'backupSite', level: 'INFO', backupId: result.backupId });
    expect(lines.find((l) => l.message === 'backup manifest written')).toMatchObject({ ...run, workflowType: 'backupSite', activityType: 'writeManifest', backupId: result.backupId });
    expect(lines.some((l) => 'taskToken' in l)).toBe(false);
    // and no secret of the site is in it
    const log = worker.logs();
    for (const secret of await new SecretStore(join(cfg.dataDir, 'secrets')).values()) expect(log.includes(secret)).toBe(false);
  });
});
