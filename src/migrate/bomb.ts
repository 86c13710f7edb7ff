import { SourceRefused } from './archive';

/** How far decompression may inflate a source before it counts as a bomb. */
export interface InflationLimits {
  maxBytes: number;
  /** Largest decompressed/compressed ratio, judged once `ratioAfterBytes` came out. */
  maxRatio: number;
  ratioAfterBytes: number;
}

export const DEFAULT_INFLATION: InflationLimits = { maxBytes: 20 * 1024 ** 3, maxRatio: 200, ratioAfterBytes: 8 * 1024 ** 2 };

/**
 * Counts bytes going into a decompressor and coming out of it, and stops a decompression bomb
 * early: real dumps and archives compress 3–20×, a bomb thousands of times.
 */
export class InflationGuard {
  compressed = 0;
  decompressed = 0;

  constructor(
    private readonly source: 'db' | 'files',
    private readonly limits: InflationLimits = DEFAULT_INFLATION,
  ) {}

  sawCompressed(n: number): void {
    this.compressed += n;
  }

  /** Throws {@link SourceRefused} when the output passes the size limit or the ratio limit. */
  sawDecompressed(n: number): void {
    this.decompressed += n;
    if (this.decompressed > this.limits.maxBytes) {
      throw new SourceRefused(this.source, undefined, `decompresses to more than ${this.limits.maxBytes} bytes (decompression bomb or wrong file)`);
    }
    if (this.decompressed >= this.limits.ratioAfterBytes && this.decompressed > this.limits.maxRatio * Math.max(this.compressed, 1)) {
      throw new SourceRefused(this.source, undefined, `decompresses more than ${this.limits.maxRatio}× (${this.compressed} bytes gave ${this.decompressed}): a decompression bomb`);
    }
  }
}
