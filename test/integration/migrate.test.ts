import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { approveMigration, pendingMigration, rejectMigration, startMigrateSite } from '../../src/client/migrate';
import { startCreateSite, startDeleteSite } from '../../src/client/sites';
import { createDocker } from '../../src/infra/docker';
import { exec } from '../../src/infra/dockerExec';
import { withJobContainer } from '../../src/infra/jobContainer';
import { httpGet, waitUntil } from '../../src/infra/wait';
import type { MigrateSiteInput, MigrationStatus } from '../../src/migrate/input';
import { siteLabels, siteNames, siteWorkflowId } from '../../src/site/names';
import { SA } from '../../src/site/searchAttributes';
import { WorkerProcess } from '../helpers/workerProcess';
import { testClient, testConfig } from '../helpers/platform';
import { exportSite } from '../helpers/exportSite';
import { tarEntry } from '../helpers/tar';
import { addPost, inventory, NOTHING, rootDb } from '../helpers/sites';
import { curlHttps } from '../helpers/https';
import { getCertificate } from '../../src/infra/certRegistry';
import { pebbleRoot } from '../../src/platform/pebble';

async function certificateOf(slug: string) {
  const db = rootDb(testConfig());
  try {
    return await getCertificate(db, slug);
  } finally {
    await db.end();
  }
}

const cfg = testConfig();
const docker = createDocker(cfg.docker);
const POST = 'Migrated rehearsal schedule 7q2';
const get = (host: string) => httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}/`, host);

/** True when the site's files volume has `path` at its top (wp-content/ was stripped). */
async function volumeHas(slug: string, path: string): Promise<boolean> {
  const job = { name: `${cfg.prefix}-site-${slug}-job-look`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, slug, 'job', cfg.hostName), binds: [`${siteNames(cfg.prefix, slug).filesVolume}:/files:ro`] };
  return withJobContainer(docker, job, { prefix: cfg.prefix, site: slug }, async (c) => (await exec(docker, c, ['test', '-e', `/files/${path}`])).exitCode === 0);
}

async function waitForStage(client: Client, slug: string, stage: MigrationStatus['stage']): Promise<MigrationStatus> {
  const handle = client.workflow.getHandle(siteWorkflowId(slug));
  let ended: unknown;
  const s = await waitUntil(
    `migration ${slug} at ${stage}`,
    async () => {
      if ((await handle.describe()).status.name !== 'RUNNING') {
        ended = await handle.result().then((r: unknown) => new Error(`ended early: ${JSON.stringify(r)}`), (err: Error) => err);
        return true;
      }
      const status = await pendingMigration(client, slug);
      return status?.stage === stage ? status : undefined;
    },
    { timeoutMs: 240_000, intervalMs: 500 },
  );
  if (ended) throw ended;
  return s as MigrationStatus;
}

describe('migrateSite', () => {
  let dir: string;
  let client: Client;
  let worker: WorkerProcess;
  let source: { db: string; files: string };
  const input = (domain: string, slug: string, extra: Partial<MigrateSiteInput> = {}): MigrateSiteInput => ({
    domains: [domain],
    slug,
    source: { db: { path: source.db }, files: { path: source.files } },
    ...extra,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tutti-migrate-'));
    worker = new WorkerProcess(cfg, 'migrate-1');
    await worker.start();
    client = await testClient(cfg);
    await (await startCreateSite(client, cfg, { domains: ['origin.example'], title: 'Origin Choir' })).result();
    await addPost(cfg, siteNames(cfg.prefix, 'origin').webContainer('blue'), POST);
    source = await exportSite(cfg, docker, 'origin', dir);
    await (await startDeleteSite(client, cfg, { site: 'origin' })).result();
  });

  afterAll(async () => {
    await worker.kill();
    await client?.connection.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stages the site, survives a worker SIGKILL while waiting, and goes live on approval', async () => {
    const handle = await startMigrateSite(client, cfg, input('moved.example', 'moved', { remindAfterSeconds: 2, autoRejectAfterSeconds: 3600 }));
    const waiting = await waitForStage(client, 'moved', 'awaiting-approval');
    const staging = `moved.${cfg.migrate.stagingDomain}`;
    expect(waiting.stagingUrl).toBe(`http://${staging}/`);
    expect(waiting.imported!.tables).toBeGreaterThanOrEqual(10);
    expect(waiting.imported!.files).toBeGreaterThan(0);

    expect((await get('moved.example')).status).toBe(404);
    const staged = await get(staging);
    expect(staged.status).toBe(200);
    expect(staged.body).toContain(POST);
    expect(staged.body).toContain('Origin Choir');
    expect(staged.body).not.toContain('http://origin.example');

    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(SA.stage)).toBe('awaiting-approval');
    expect(await certificateOf('moved')).toBeUndefined(); // not before approval, and never for the staging name
    await waitUntil('the reminder', async () => ((await pendingMigration(client, 'moved'))?.remindedAt ? true : undefined), { timeoutMs: 30_000, intervalMs: 500 });

    await worker.kill();
    worker = new WorkerProcess(cfg, 'migrate-2');
    await worker.start();
    expect((await pendingMigration(client, 'moved'))!.stage).toBe('awaiting-approval');

    await expect(handle.executeUpdate('rejectMigration', { args: [{ reason: ' ' }] })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(rejectMigration(client, 'moved', '', 'jest')).rejects.toThrow(/reason is required/);
    expect((await approveMigration(client, 'moved', 'jest')).decision?.approved).toBe(true);
    expect((await approveMigration(client, 'moved', 'jest again')).decision?.by).toBe('jest');

    const result = await handle.result();
    expect(result.outcome).toBe('live');
    const live = await get('moved.example');
    expect(live.status).toBe(200);
    expect(live.body).toContain(POST);
    expect(live.body).toContain('http://moved.example/');
    expect(live.body).not.toContain(staging);
    expect((await get(staging)).status).toBe(404);
    // its certificate came at cutover: HTTPS through the terminator, trusted by Pebble's root
    expect((await certificateOf('moved'))?.domains).toEqual(['moved.example']);
    const caFile = join(cfg.dataDir, 'pebble-root-migrate.pem');
    writeFileSync(caFile, await pebbleRoot(cfg));
    const secure = await curlHttps(cfg, caFile, 'moved.example');
    expect(secure.status).toBe(200);
    expect(secure.body).toContain(POST);
    const inv = await inventory(cfg, 'moved');
    expect(inv.containers).toEqual([siteNames(cfg.prefix, 'moved').webContainer('green')]);
    await (await startDeleteSite(client, cfg, { site: 'moved' })).result();
  });

  it('rejected by an operator, or by the timeout: nothing of the migration remains', async () => {
    // As a plain WordPress host would pack it: wp-content/ at the top, gzipped.
    const plain = join(dir, 'plain');
    mkdirSync(join(plain, 'wp-content'), { recursive: true });
    execFileSync('tar', ['-x', '-f', source.files, '-C', join(plain, 'wp-content')]);
    const packed = join(dir, 'plain-wp-content.tar.gz');
    execFileSync('tar', ['-c', '-z', '-f', packed, '-C', plain, 'wp-content']);
    const rejected = await startMigrateSite(client, cfg, { ...input('nope.example', 'nope'), source: { db: { path: source.db }, files: { path: packed } } });
    const timedOut = await startMigrateSite(client, cfg, input('late.example', 'late', { remindAfterSeconds: 1, autoRejectAfterSeconds: 4 }));
    expect((await waitForStage(client, 'nope', 'awaiting-approval')).imported!.files).toBeGreaterThan(0);
    expect(await volumeHas('nope', 'themes')).toBe(true);
    expect((await get(`nope.${cfg.migrate.stagingDomain}`)).body).toContain(POST);
    await rejectMigration(client, 'nope', 'content is outdated', 'jest');
    const [a, b] = await Promise.all([rejected.result(), timedOut.result()]);
    expect(a.outcome).toBe('rejected');
    expect(a.status.decision?.reason).toBe('content is outdated');
    expect(b.outcome).toBe('rejected');
    expect(b.status.decision?.reason).toMatch(/auto-rejected/);
    expect(await inventory(cfg, 'nope')).toEqual(NOTHING);
    expect(await inventory(cfg, 'late')).toEqual(NOTHING);
    expect((await get(`nope.${cfg.migrate.stagingDomain}`)).status).toBe(404);
  });

  it('a worker SIGKILLed while importing: the import restarts from scratch and the migration reaches approval', async () => {
    const dump = readFileSync(source.db);
    let requests = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    let stalled: () => void = () => undefined;
    const midImport = new Promise<void>((r) => (stalled = r));
    // Serves the dump whole, except the second request (the first import) stops halfway until released.
    const server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-length': dump.length });
      if (requests !== 2) return void res.end(dump);
      res.write(dump.subarray(0, dump.length >> 1));
      stalled();
      void released.then(() => res.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const handle = await startMigrateSite(client, cfg, { ...input('kill.example', 'kill'), source: { db: { url: `http://127.0.0.1:${port}/kill.sql.gz` }, files: { path: source.files } } });
      await midImport;
      await worker.kill();
      release();
      worker = new WorkerProcess(cfg, 'migrate-3');
      await worker.start();
      const waiting = await waitForStage(client, 'kill', 'awaiting-approval');
      expect(requests).toBe(3);
      expect(waiting.imported!.tables).toBeGreaterThanOrEqual(10);
      expect((await get(`kill.${cfg.migrate.stagingDomain}`)).body).toContain(POST);
      await rejectMigration(client, 'kill', 'only a crash drill', 'jest');
      expect((await handle.result()).outcome).toBe('rejected');
      expect(await inventory(cfg, 'kill')).toEqual(NOTHING);
    } finally {
      release();
      server.close();
    }
  });

  it.each([
    ['path traversal', () => tarEntry('uploads/../../../etc/cron.d/evil', { type: '0', data: '* * * * * root id' }), '"uploads/../../../etc/cron.d/evil"'],
    ['absolute path', () => tarEntry('/etc/evil', { type: '0', data: 'x' }), '"/etc/evil"'],
    ['hardlink to a host file', () => tarEntry('uploads/pw', { type: '1', link: '/etc/shadow' }), '"uploads/pw"'],
    ['device node', () => tarEntry('uploads/sda', { type: '4' }), '"uploads/sda"'],
  ])('refuses an archive with a %s before anything is created', async (what, bad, named) => {
    const file = join(dir, `hostile-${what.replace(/\W+/g, '-')}.tar`);
    writeFileSync(file, Buffer.concat([tarEntry('uploads/', { type: '5' }), bad(), Buffer.alloc(1024)]));
    const handle = await startMigrateSite(client, cfg, { ...input('evil.example', 'evil'), source: { db: { path: source.db }, files: { path: file } } });
    await expect(handle.result()).rejects.toMatchObject({ cause: { cause: { type: 'SourceRefused', message: expect.stringContaining(named) } } });
    expect(await inventory(cfg, 'evil')).toEqual(NOTHING);
  });

  it('refuses a gzip bomb before anything is created', async () => {
    const file = join(dir, 'bomb.tar.gz');
    writeFileSync(file, gzipSync(Buffer.concat([tarEntry('uploads/zeros', { data: '\0'.repeat(64 * 1024 * 1024) })])));
    const handle = await startMigrateSite(client, cfg, { ...input('evil.example', 'evil'), source: { db: { path: source.db }, files: { path: file } } });
    await expect(handle.result()).rejects.toMatchObject({ cause: { cause: { type: 'SourceRefused', message: expect.stringContaining('decompression bomb') } } });
    expect(await inventory(cfg, 'evil')).toEqual(NOTHING);
  });

  it('refuses a symlink followed by a write through it, before anything is created', async () => {
    const bad = join(dir, 'hostile.tar.gz');
    writeFileSync(bad, gzipSync(Buffer.concat([tarEntry('uploads/', { type: '5' }), tarEntry('uploads/x', { type: '2', link: '../../..' }), tarEntry('uploads/x/canary', { type: '0', data: 'pwned' }), Buffer.alloc(1024)])));
    const handle = await startMigrateSite(client, cfg, { ...input('evil.example', 'evil'), source: { db: { path: source.db }, files: { path: bad } } });
    await expect(handle.result()).rejects.toMatchObject({ cause: { cause: { type: 'SourceRefused', message: expect.stringContaining('"uploads/x"') } } });
    expect(await inventory(cfg, 'evil')).toEqual(NOTHING);
  });
});
