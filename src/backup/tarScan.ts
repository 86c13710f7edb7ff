import { TarBlockReader } from '../infra/tarBlocks';

/**
 * Reads a tar stream as it passes (GNU, ustar and pax headers) and counts its entries and file
 * bytes, and whether it ends with the end-of-archive blocks. A truncated archive never ends.
 */
export class TarScan {
  private entries = 0;
  private fileBytes = 0;
  private readonly reader = new TarBlockReader({
    header: ({ type, size }) => {
      // L/K: GNU long name or link target for the next header; x/g: pax attributes. Not entries.
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') return;
      this.entries += 1;
      if (type === '0' || type === '\0' || type === '7') this.fileBytes += size;
    },
    malformed: (problem) => new TarFormatError(problem === 'bad-checksum' ? `header ${this.entries + 1} has a bad checksum` : 'a single zero block inside the archive'),
  });

  feed(chunk: Buffer): void {
    this.reader.feed(chunk);
  }

  result(): { entries: number; bytes: number; complete: boolean } {
    return { entries: this.entries, bytes: this.fileBytes, complete: this.reader.complete };
  }
}

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}
