import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Duplex, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { InflationGuard } from '../src/migrate/bomb';
import { compressionOf, describeSource } from '../src/migrate/input';
import { zstdDecompressor } from '../src/infra/compress';
import { FailureType } from '../src/site/errors';
import type { MigrationSource } from '../src/site/validate';

/** Opens a migration source as a byte stream; a missing source fails non-retryably, naming it. */
export async function openSource(source: MigrationSource, s3: () => S3Client): Promise<{ body: Readable; bytes?: number }> {
  const what = describeSource(source);
  const missing = (why: string) => ApplicationFailure.nonRetryable(`source ${what}: ${why}`, FailureType.SourceNotFound);
  if ('path' in source) {
    const st = await stat(source.path).catch(() => undefined);
    if (!st) throw missing('no such file on this Docker host');
    if (!st.isFile()) throw missing('is not a regular file');
    return { body: createReadStream(source.path), bytes: st.size };
  }
  if ('s3' in source) {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(source.s3)!;
    try {
      const r = await s3().send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
      return { body: r.Body as Readable, bytes: r.ContentLength };
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound') throw missing('no such object');
      throw err;
    }
  }
  const url = new URL(source.url);
  const { request } = await import(url.protocol === 'https:' ? 'node:https' : 'node:http');
  return new Promise((resolve, reject) => {
    // Loopback only (the schema says so): redirects are not followed, so it stays there.
    const req = request(url, { timeout: 30_000 }, (res: import('node:http').IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(missing(`HTTP ${res.statusCode}`));
      }
      const len = Number(res.headers['content-length']);
      resolve({ body: res, bytes: Number.isFinite(len) ? len : undefined });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${what} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Counts bytes and reports each chunk to `on`. */
class Counter extends Transform {
  constructor(private readonly count: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.count(chunk.length);
    } catch (err) {
      return callback(err as Error);
    }
    callback(null, chunk);
  }
}

/**
 * The stages that turn a source's bytes into its content: a counter of compressed bytes, the
 * decompressor and a counter of what comes out, guarded against decompression bombs.
 */
export function decompressStages(source: MigrationSource, kind: 'db' | 'files'): Transform[] | Duplex[] {
  const compression = compressionOf(source);
  if (compression === 'none') return [];
  const guard = new InflationGuard(kind);
  return [new Counter((n) => guard.sawCompressed(n)), compression === 'gzip' ? createGunzip() : zstdDecompressor(), new Counter((n) => guard.sawDecompressed(n))] as Duplex[];
}
