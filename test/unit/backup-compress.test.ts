import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { objectNames, type Compression } from '../../src/backup/layout';
import { buildManifest, parseManifest, type Manifest } from '../../src/backup/manifest';
import { compressedArgv, decompressedArgv, decompressor } from '../../src/infra/compress';
import { SideScan } from '../../src/infra/streams';
import { compress } from '../helpers/backupHelpers';

/** Runs an argv on this host (bash, zstd and gzip are what the MariaDB image has too); returns exit code and stdout. */
function run(argv: string[], stdin?: Buffer): Promise<{ code: number; stdout: Buffer }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin ?? Buffer.alloc(0));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out) })));
}

function manifestWith(compression: Compression, names = objectNames(compression)): Manifest {
  const object = (name: string) => ({ name, bytes: 10, sha256: 'a'.repeat(64), rawBytes: 30, compression });
  return buildManifest({
    backupId: '20261128T063005Z-abc123',
    spec: { slug: 'acme', domains: ['acme.example'], platform: 'wordpress', image: 'tutti/wordpress:bookworm', host: 'local', title: 'Acme' },
    generation: 1,
    imageId: null,
    reason: 'manual',
    startedAt: '2026-11-28T06:30:05.000Z',
    endedAt: '2026-11-28T06:31:05.000Z',
    db: { object: object(names.db), database: 'acme_1', counts: { tables: 1, views: 0, triggers: 0, routines: 0, events: 0 }, rows: { t: 3 }, dumpVersion: 'd', serverVersion: 's' },
    files: { object: object(names.files), entries: 1, bytes: 0, warnings: [], tarVersion: 'tar' },
  });
}

describe('compression where the data is made', () => {
  const sql = Buffer.from('CREATE TABLE `t` (\n(1),\n(2);\n-- Dump completed\n'.repeat(1000));

  it('compresses a command output in place, and its exit status survives the pipe', async () => {
    const ok = await run(compressedArgv(['printf', '%s', 'hello'], 'zstd'));
    expect(ok.code).toBe(0);
    expect((await run(['zstd', '-d', '-q', '-c'], ok.stdout)).stdout.toString()).toBe('hello');
    // the command fails after writing: the compressor succeeds, the pipeline must not
    expect((await run(compressedArgv(['sh', '-c', 'echo partial; exit 3'], 'zstd'))).code).toBe(3);
    expect((await run(compressedArgv(['sh', '-c', 'echo partial; exit 4'], 'gzip'))).code).toBe(4);
  });

  it('passes arguments to the command untouched by the shell', async () => {
    const hostile = '$(touch /tmp/tutti-pwned) `id` ; "quoted" \\ *';
    const r = await run(compressedArgv(['printf', '%s', hostile], 'zstd'));
    expect((await run(['zstd', '-d', '-q', '-c'], r.stdout)).stdout.toString()).toBe(hostile);
    expect(existsSync('/tmp/tutti-pwned')).toBe(false);
  });

  it('feeds a loader the decompressed object; a damaged object fails the load', async () => {
    for (const c of ['zstd', 'gzip'] as const) {
      const packed = compress(sql, c);
      const loaded = await run(decompressedArgv(['cat'], c), packed);
      expect(loaded.code).toBe(0);
      expect(loaded.stdout.equals(sql)).toBe(true);
      const damaged = Buffer.from(packed);
      damaged[Math.floor(damaged.length / 2)] ^= 0x40;
      expect((await run(decompressedArgv(['cat'], c), damaged)).code).not.toBe(0);
    }
    // the loader's own failure is the status, even though the decompressor succeeded
    expect((await run(decompressedArgv(['sh', '-c', 'cat >/dev/null; exit 5'], 'zstd'), compress(sql, 'zstd'))).code).toBe(5);
  });
});

describe('SideScan', () => {
  async function through(stored: Buffer, compression: Compression, inspect: (c: Buffer) => void = () => undefined) {
    const out: Buffer[] = [];
    const side = new SideScan(decompressor(compression), inspect);
    const source = Readable.from([stored.subarray(0, 1000), stored.subarray(1000)]);
    await pipeline(source, side, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    return { passed: Buffer.concat(out), inspected: side.inspected };
  }
  const sql = Buffer.from('INSERT INTO `t` VALUES\n'.repeat(20_000));

  it('passes the stored bytes through unchanged and shows the decompressed ones to the scan', async () => {
    for (const c of ['zstd', 'gzip'] as const) {
      const stored = compress(sql, c);
      const seen: Buffer[] = [];
      const r = await through(stored, c, (chunk) => seen.push(chunk));
      expect(r.passed.equals(stored)).toBe(true);
      expect(Buffer.concat(seen).equals(sql)).toBe(true);
      expect(r.inspected).toBe(sql.length);
    }
  });

  it('fails the stream when the side cannot decompress, or the scan throws', async () => {
    const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2));
    await expect(through(half(gzipSync(sql)), 'gzip')).rejects.toThrow(/unexpected end of file/);
    await expect(through(half(compress(sql, 'zstd')), 'zstd')).rejects.toThrow(/zstd -d exited/);
    await expect(
      through(compress(sql, 'zstd'), 'zstd', () => {
        throw new Error('not a dump');
      }),
    ).rejects.toThrow('not a dump');
  });
});

describe('manifest compression', () => {
  it('accepts zstd backups and gzip ones (made before zstd was the default), each with its own object names', () => {
    for (const c of ['zstd', 'gzip'] as const) {
      const m = manifestWith(c);
      expect(parseManifest(JSON.stringify(m), { slug: 'acme', backupId: m.backupId }).objects.db).toMatchObject({ name: objectNames(c).db, compression: c });
    }
    expect(objectNames('zstd')).toEqual({ db: 'db.sql.zst', files: 'files.tar.zst' });
    expect(objectNames('gzip')).toEqual({ db: 'db.sql.gz', files: 'files.tar.gz' });
  });

  it('refuses names that do not match the compression, and unknown compressions', () => {
    const m = manifestWith('zstd', objectNames('gzip'));
    expect(() => parseManifest(JSON.stringify(m), { slug: 'acme', backupId: m.backupId })).toThrow(/unexpected objects db\.sql\.gz \(zstd\)/);
    const lz = JSON.parse(JSON.stringify(manifestWith('zstd'))) as { objects: { db: { compression: string } } };
    lz.objects.db.compression = 'lz4';
    expect(() => parseManifest(JSON.stringify(lz), { slug: 'acme', backupId: m.backupId })).toThrow(/objects\.db\.compression/);
  });
});
