import { createHash, type Hash } from 'node:crypto';
import { Transform, Writable, type Duplex, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Passes bytes through, counting them and computing their SHA-256. */
export class HashCounter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private digest: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; only once the stream ended. */
  sha256(): string {
    this.digest ??= this.hash.digest('hex');
    return this.digest;
  }
}

/** Passes bytes through and shows each chunk to `inspect` (which may throw to fail the stream). */
export class Tap extends Transform {
  bytes = 0;
  constructor(private readonly inspect: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      this.inspect(chunk);
    } catch (err) {
      return callback(err as Error);
    }
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/**
 * The last stage before an upload: passes bytes through, and at the end runs `check` (e.g. the
 * dump's exit code and completion marker) before ending. A failed check errors the stream, so the
 * upload is aborted and a dump that stopped early never becomes an object.
 */
export class FinalCheck extends Transform {
  constructor(private readonly check: () => Promise<void>) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.check().then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }
}

/**
 * Passes bytes through unchanged and also writes them into `side` (a decompressor), whose output
 * `inspect` reads: the dump is stored compressed as it came, and scanned as SQL beside it. The
 * side's backpressure holds the main stream, so memory stays flat; its failure fails the stream,
 * and the stream only ends once `side` has ended and `inspect` has seen every byte.
 */
export class SideScan extends Transform {
  /** Bytes `inspect` has seen (the uncompressed size). */
  inspected = 0;
  private readonly sideDone: Promise<void>;

  constructor(
    private readonly side: Duplex,
    inspect: (chunk: Buffer) => void,
  ) {
    super();
    const sink = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        try {
          inspect(chunk);
          this.inspected += chunk.length;
        } catch (err) {
          return cb(err as Error);
        }
        cb();
      },
    });
    this.sideDone = pipeline(side, sink);
    this.sideDone.catch((err: Error) => this.destroy(err));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    if (this.side.write(chunk)) callback(null, chunk);
    else this.side.once('drain', () => callback(null, chunk));
  }

  override _flush(callback: TransformCallback): void {
    this.side.end();
    this.sideDone.then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.side.destroy();
    callback(err);
  }
}
