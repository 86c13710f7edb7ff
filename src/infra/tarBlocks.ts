/**
 * The block structure of a tar stream (GNU, ustar and pax), read as it passes: 512-byte headers,
 * the data after each (padded to 512), and the two zero blocks that end the archive. What an
 * archive's headers mean is the caller's: the backup scanner counts entries, the migration
 * inspector confines them. Headers are checksummed; a zero block inside the archive and a bad
 * checksum are reported through `malformed`, which returns the caller's own error to throw.
 */
export interface TarHeader {
  /** The 512-byte header block (valid until the callback returns). */
  block: Buffer;
  /** The type flag: '0' file, '5' directory, 'L'/'K' GNU long name/link, 'x'/'g' pax … */
  type: string;
  /** Bytes of data after the header, before padding. */
  size: number;
}

export type TarProblem = 'zero-block-inside' | 'bad-checksum';

export interface TarVisitor {
  /** Each header block; return true to be given the data that follows it (keep that for small metadata headers). */
  header(h: TarHeader): boolean | void;
  /** The whole data of a header that asked for it. */
  data?(data: Buffer): void;
  malformed(problem: TarProblem): Error;
}

export class TarBlockReader {
  private block = Buffer.alloc(512);
  private blockLen = 0;
  /** Bytes after the current header (data and padding) still to pass before the next header. */
  private skip = 0;
  /** Of those, data bytes still to collect for the visitor. */
  private dataLeft = 0;
  private collected: Buffer[] = [];
  private zeroBlocks = 0;
  private ended = false;

  constructor(private readonly visitor: TarVisitor) {}

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        if (this.dataLeft > 0) {
          const d = Math.min(n, this.dataLeft);
          this.collected.push(chunk.subarray(pos, pos + d));
          this.dataLeft -= d;
          if (this.dataLeft === 0) this.deliver();
        }
        this.skip -= n;
        pos += n;
        continue;
      }
      const n = Math.min(512 - this.blockLen, chunk.length - pos);
      chunk.copy(this.block, this.blockLen, pos, pos + n);
      this.blockLen += n;
      pos += n;
      if (this.blockLen === 512) {
        this.blockLen = 0;
        this.header(this.block);
      }
    }
  }

  /** The end-of-archive blocks were read, and nothing of an entry is missing. A truncated archive never completes. */
  get complete(): boolean {
    return this.ended && this.skip === 0;
  }

  private header(h: Buffer): void {
    if (this.ended) return; // padding after the end-of-archive blocks
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    if (this.zeroBlocks > 0) throw this.visitor.malformed('zero-block-inside');
    if (!checksumOk(h)) throw this.visitor.malformed('bad-checksum');
    const size = sizeOf(h);
    this.skip = Math.ceil(size / 512) * 512;
    const wantsData = this.visitor.header({ block: h, type: String.fromCharCode(h[156]!), size }) === true;
    if (!wantsData) return;
    this.dataLeft = size;
    this.collected = [];
    if (size === 0) this.deliver();
  }

  private deliver(): void {
    const data = Buffer.concat(this.collected);
    this.collected = [];
    this.visitor.data?.(data);
  }
}

function sizeOf(h: Buffer): number {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    // base-256 for sizes beyond 8 GiB
    let v = 0;
    for (let i = 1; i < 12; i++) v = v * 256 + field[i]!;
    return v;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(h.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}
