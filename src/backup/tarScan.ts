/**
 * Reads a tar stream as it passes (GNU, ustar and pax headers) and counts its entries and file
 * bytes, and whether it ends with the end-of-archive blocks. A truncated archive never ends.
 */
export class TarScan {
  private block = Buffer.alloc(512);
  private blockLen = 0;
  /** Bytes of entry data (padded to 512) still to skip before the next header. */
  private skip = 0;
  private entries = 0;
  private fileBytes = 0;
  private zeroBlocks = 0;
  private ended = false;

  feed(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
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

  private header(h: Buffer): void {
    if (this.ended) return; // padding after the end-of-archive blocks
    if (h.every((b) => b === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    if (this.zeroBlocks > 0) throw new TarFormatError('a single zero block inside the archive');
    if (!checksumOk(h)) throw new TarFormatError(`header ${this.entries + 1} has a bad checksum`);
    const size = sizeOf(h);
    const type = String.fromCharCode(h[156]!);
    this.skip = Math.ceil(size / 512) * 512;
    // L/K: GNU long name or link target for the next header; x/g: pax attributes. Not entries.
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') return;
    this.entries += 1;
    if (type === '0' || type === '\0' || type === '7') this.fileBytes += size;
  }

  result(): { entries: number; bytes: number; complete: boolean } {
    return { entries: this.entries, bytes: this.fileBytes, complete: this.ended && this.skip === 0 };
  }
}

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

function sizeOf(h: Buffer): number {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    // base-256 for sizes beyond 8 GiB
    let v = 0;
    for (let i = 1; i < 12; i++) v = v * 256 + field[i]!;
    return v;
  }
  const text = field.toString('latin1').replace(/\0.*$/, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = parseInt(h.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}
