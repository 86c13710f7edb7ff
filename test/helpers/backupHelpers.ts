import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { RowDataPacket } from 'mysql2/promise';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { OBJECT, objectKey, objectNames, type Compression } from '../../src/backup/layout';
import type { Manifest } from '../../src/backup/manifest';
import { readSecretFile, type TuttiConfig } from '../../src/config';
import { BackupBucket } from '../../src/infra/backupStore';
import { createDocker } from '../../src/infra/docker';
import { exec, execOk } from '../../src/infra/dockerExec';
import { findTool } from '../../src/infra/dump';
import { createDbPool, type Db } from '../../src/infra/mariadb';
import { getSite } from '../../src/infra/registry';
import { createS3 } from '../../src/infra/s3';
import { httpGet } from '../../src/infra/wait';
import { MARIADB_ROOT_PASSWORD, platformNames, siteNames } from '../../src/site/names';

/** The test platform's backup bucket. */
export function testBucket(cfg: TuttiConfig): BackupBucket {
  return new BackupBucket(createS3(cfg.s3, readSecretFile(cfg.s3.secretAccessKeyFile)), cfg.s3.bucket);
}

export function rootPool(cfg: TuttiConfig, database?: string): Db {
  return createDbPool({ host: '127.0.0.1', port: cfg.mariadb.port, user: 'root', password: readSecretFile(join(cfg.dataDir, 'secrets', MARIADB_ROOT_PASSWORD)), database });
}

/** The live database of a site, per the registry. */
export async function liveDatabase(cfg: TuttiConfig, slug: string): Promise<string> {
  const db = rootPool(cfg);
  try {
    const site = await getSite(db, slug);
    if (!site) throw new Error(`site ${slug} is not registered`);
    return siteNames(cfg.prefix, slug).databaseOf(site.generation);
  } finally {
    await db.end();
  }
}

export async function sql(cfg: TuttiConfig, database: string, statement: string, values: unknown[] = []): Promise<RowDataPacket[]> {
  const db = rootPool(cfg, database);
  try {
    const [rows] = await db.query<RowDataPacket[]>(statement, values);
    return rows;
  } finally {
    await db.end();
  }
}

/**
 * CHECKSUM TABLE of every base table, by name. WordPress rewrites its cron schedule and
 * transients in wp_options on page views (the restore's own health checks are page views), so
 * for wp_options the checksum covers every other row: `wp_options*` is that digest.
 */
export async function tableChecksums(cfg: TuttiConfig, database: string): Promise<Record<string, number | string>> {
  const tables = await sql(cfg, database, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", [database]);
  const out: Record<string, number | string> = {};
  for (const { t } of tables) {
    if (t === 'wp_options') {
      const [r] = await sql(
        cfg,
        database,
        "SELECT COUNT(*) AS n, BIT_XOR(CRC32(CONCAT_WS('|', option_id, option_name, option_value, autoload))) AS x FROM wp_options WHERE option_name <> 'cron' AND option_name NOT LIKE '\\_transient\\_%' AND option_name NOT LIKE '\\_site\\_transient\\_%'",
      );
      out['wp_options*'] = `${r!.n}:${r!.x}`;
      continue;
    }
    const [r] = await sql(cfg, database, `CHECKSUM TABLE \`${String(t)}\``);
    out[String(t)] = Number(r!.Checksum);
  }
  return out;
}

/** mariadb-dump processes for `database` running in the platform's MariaDB container. */
export async function dumpProcesses(cfg: TuttiConfig, database: string): Promise<number> {
  return (await findTool(createDocker(cfg.docker), platformNames(cfg.prefix).mariadbContainer, 'dump', database)).length;
}

/** Runs a command in the site's live web container (as root unless `user`). */
export async function inWeb(cfg: TuttiConfig, slug: string, argv: string[], user?: string): Promise<string> {
  const db = rootPool(cfg);
  try {
    const site = await getSite(db, slug);
    return (await execOk(createDocker(cfg.docker), site!.activeContainer!, argv, { user })).stdout;
  } finally {
    await db.end();
  }
}

export async function page(cfg: TuttiConfig, domain: string, path = '/') {
  return httpGet(`http://127.0.0.1:${cfg.varnish.httpPort}${path}`, domain);
}

/** Requests `path` through Varnish every 100 ms until stopped; returns every status seen. */
export function pollAnswers(cfg: TuttiConfig, domain: string, path = '/') {
  const seen: { status: number; at: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const r = await page(cfg, domain, path).catch((err: Error) => ({ status: 0, body: err.message }));
      seen.push({ status: r.status, at });
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return seen;
    },
  };
}

/** Fills a table of the site's database with `mb` megabytes of hard-to-compress rows, in the MariaDB container. */
export async function bulkRows(cfg: TuttiConfig, database: string, table: string, mb: number): Promise<void> {
  const docker = createDocker(cfg.docker);
  const container = platformNames(cfg.prefix).mariadbContainer;
  const rows = Math.ceil((mb * 1_048_576) / 400);
  const script = [
    `CREATE TABLE IF NOT EXISTS \`${table}\` (id BIGINT PRIMARY KEY, a CHAR(64), b VARCHAR(300), n DOUBLE) ENGINE=InnoDB;`,
    `INSERT INTO \`${table}\` SELECT seq, SHA2(seq, 256), CONCAT(MD5(seq), SHA2(seq * 7, 512), SHA2(seq * 13, 256)), RAND(seq) FROM seq_1_to_${rows};`,
  ].join('\n');
  const r = await exec(docker, container, ['mariadb', '--', database], { stdin: script });
  if (r.exitCode !== 0) throw new Error(`bulk rows: ${r.stderr}`);
}

/**
 * Runs bin/tutti's built CLI with the test environment; returns its exit code and output. Never
 * synchronously: the test's in-process worker must keep running the workflows the CLI waits for.
 */
export async function tutti(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [resolve(__dirname, '../../dist/src/cli/main.js'), ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const status = await new Promise<number>((res) => child.once('close', (code) => res(code ?? -1)));
  return { status, stdout, stderr };
}

export interface BackupChange {
  /** Alters the SQL of the dump (decompressed and compressed again). */
  db?: (sql: string) => string;
  /** Alters the files archive as stored (compressed). */
  files?: (archive: Buffer) => Buffer;
  manifest?: (m: Manifest) => Manifest;
  /** Recompute sizes and checksums of changed objects in the manifest (a well-formed forgery). */
  rehash?: boolean;
  /** Leave the manifest out (an incomplete backup). */
  noManifest?: boolean;
  /** Store both objects with this compression instead, renamed and rehashed (gzip: a backup as made before zstd became the default). */
  recompress?: Compression;
}

/** zstd on this host (Node 20's zlib has none), in memory: test objects are small. */
function zstdSync(args: string[], input: Buffer): Buffer {
  const r = spawnSync('zstd', [...args, '-q', '-c'], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd ${args.join(' ')} exited ${r.status}: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout;
}

export function decompress(b: Buffer, c: Compression): Buffer {
  return c === 'gzip' ? gunzipSync(b) : zstdSync(['-d'], b);
}

export function compress(b: Buffer, c: Compression): Buffer {
  return c === 'gzip' ? gzipSync(b) : zstdSync(['-1'], b);
}

/** Copies a backup to another site or ID, optionally altering its objects: forged, damaged or dated backups for tests. */
export async function copyBackup(cfg: TuttiConfig, from: { slug: string; id: string }, to: { slug: string; id: string }, change: BackupChange = {}): Promise<void> {
  const bucket = testBucket(cfg);
  const get = async (name: string) => {
    const o = await bucket.read(objectKey(cfg.s3.prefix, from.slug, from.id, name));
    const chunks: Buffer[] = [];
    for await (const c of o!.body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  const put = (name: string, body: Buffer | string) => bucket.s3.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: objectKey(cfg.s3.prefix, to.slug, to.id, name), Body: body }));
  let manifest = JSON.parse((await get(OBJECT.manifest)).toString('utf8')) as Manifest;
  const was = manifest.objects.db.compression;
  const now = change.recompress ?? was;
  let db: Buffer = await get(manifest.objects.db.name);
  let files: Buffer = await get(manifest.objects.files.name);
  if (change.db) db = compress(Buffer.from(change.db(decompress(db, was).toString('utf8'))), now);
  else if (now !== was) db = compress(decompress(db, was), now);
  if (now !== was) files = compress(decompress(files, was), now);
  if (change.files) files = change.files(files);
  if (change.rehash || now !== was) {
    const info = (b: Buffer, name: string) => ({ name, compression: now, bytes: b.length, sha256: createHash('sha256').update(b).digest('hex'), rawBytes: decompress(b, now).length });
    manifest.objects.db = { ...manifest.objects.db, ...info(db, objectNames(now).db) };
    manifest.objects.files = { ...manifest.objects.files, ...info(files, objectNames(now).files) };
  }
  await put(manifest.objects.db.name, db);
  await put(manifest.objects.files.name, files);
  if (change.noManifest) return;
  manifest = { ...manifest, backupId: to.id };
  if (change.manifest) manifest = change.manifest(manifest);
  await put(OBJECT.manifest, JSON.stringify(manifest, null, 2));
}

/** The ApplicationFailure a workflow run failed with (innermost cause). */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WorkflowFailedError)) throw new Error(`expected the run to fail, got ${String(err)}`);
  let cause: unknown = err.cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  if (!(cause instanceof ApplicationFailure)) throw new Error(`no ApplicationFailure in ${err.message}`);
  return cause;
}
