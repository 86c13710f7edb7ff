import { posix } from 'node:path';
import { TarBlockReader, type TarHeader } from '../infra/tarBlocks';
import type { Platform } from '../site/validate';

/** Limits a files archive is held to while it streams past. */
export interface ArchiveLimits {
  /** Total bytes of the uncompressed tar stream. */
  maxBytes: number;
  maxEntries: number;
  /**
   * Absolute symlink targets allowed: read-only code of the platform image, such as Debian's
   * WordPress linking bundled themes to `/usr/share/wordpress/wp-content/themes/…`.
   */
  linkPrefixes?: string[];
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = { maxBytes: 20 * 1024 ** 3, maxEntries: 2_000_000 };

/** A hostile or unusable source: names the entry (or line) and why, so the operator can fix the export. */
export class SourceRefused extends Error {
  override name = 'SourceRefused';
  constructor(
    readonly source: 'db' | 'files',
    readonly entry: string | undefined,
    readonly reason: string,
  ) {
    super(`${source === 'db' ? 'database dump' : 'files archive'} refused${entry === undefined ? '' : ` at ${JSON.stringify(entry)}`}: ${reason}`);
  }
}

export interface ArchiveSummary {
  entries: number;
  files: number;
  /** Bytes of regular file content. */
  fileBytes: number;
  /** Bytes of the uncompressed tar stream. */
  tarBytes: number;
  /** 1 when every entry sits under `wp-content/` (a WordPress root was archived), else 0. */
  stripComponents: number;
  complete: boolean;
}

const ALLOWED_TYPES: Record<string, string> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory', '1': 'hardlink', '2': 'symlink' };
const TYPE_NAMES: Record<string, string> = { '3': 'character device', '4': 'block device', '6': 'FIFO', S: 'sparse file', V: 'volume label', M: 'multi-volume continuation' };

/**
 * Checks a tar stream header by header as it passes, before any byte reaches an extractor:
 * every entry must stay inside the target directory. Refused: absolute names, `..` components,
 * symlinks whose target leaves the target (or is absolute), entries written through a symlink
 * the archive made, hardlinks to anything but an earlier regular file of the archive, device
 * nodes and FIFOs, and archives beyond the size or entry limits.
 */
export class ArchiveInspector {
  private readonly reader = new TarBlockReader({
    header: (h) => this.header(h),
    data: (data) => this.metaDone(data),
    malformed: (problem) =>
      new SourceRefused('files', undefined, problem === 'bad-checksum' ? `header after entry ${this.s.entries} has a bad checksum (not a tar archive, or corrupt)` : 'a zero block inside the archive (truncated or not a tar)'),
  });
  private pendingKind: 'L' | 'K' | 'x' | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private paxPath: string | undefined;
  private paxLink: string | undefined;
  private readonly symlinks = new Set<string>();
  private readonly regular = new Set<string>();
  private readonly topLevels = new Set<string>();
  private s: ArchiveSummary = { entries: 0, files: 0, fileBytes: 0, tarBytes: 0, stripComponents: 0, complete: false };

  constructor(private readonly limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) {}

  /** Feeds the next chunk; throws {@link SourceRefused} at the first entry that is not allowed. */
  feed(chunk: Buffer): void {
    this.s.tarBytes += chunk.length;
    if (this.s.tarBytes > this.limits.maxBytes) throw new SourceRefused('files', undefined, `larger than ${this.limits.maxBytes} bytes uncompressed (decompression bomb or wrong file); raise the limit only for a known archive`);
    this.reader.feed(chunk);
  }

  result(): ArchiveSummary {
    const strip = this.topLevels.size === 1 && this.topLevels.has('wp-content') ? 1 : 0;
    return { ...this.s, stripComponents: strip, complete: this.reader.complete };
  }

  /** One header: metadata headers ask for their data (given to metaDone), entries are checked. */
  private header({ block, type, size }: TarHeader): boolean {
    if (type === 'L' || type === 'K' || type === 'x') {
      if (size > 64 * 1024) throw new SourceRefused('files', undefined, `metadata header of ${size} bytes`);
      this.pendingKind = type;
      return true;
    }
    if (type === 'g') return false; // global pax header: applies to nothing we check
    const name = this.longName ?? this.paxPath ?? ustarName(block);
    const link = this.longLink ?? this.paxLink ?? cString(block.subarray(157, 257));
    this.longName = this.longLink = this.paxPath = this.paxLink = undefined;
    this.entry(name, type, link, size);
    return false;
  }

  private metaDone(raw: Buffer): void {
    const data = raw.toString('utf8');
    if (this.pendingKind === 'L') this.longName = data.replace(/\0.*$/s, '');
    else if (this.pendingKind === 'K') this.longLink = data.replace(/\0.*$/s, '');
    else if (this.pendingKind === 'x') {
      for (const rec of parsePax(data)) {
        if (rec.key === 'path') this.paxPath = rec.value;
        if (rec.key === 'linkpath') this.paxLink = rec.value;
      }
    }
    this.pendingKind = undefined;
  }

  private entry(rawName: string, type: string, link: string, size: number): void {
    const kind = ALLOWED_TYPES[type];
    if (!kind) throw new SourceRefused('files', rawName, `${TYPE_NAMES[type] ?? `entry type ${JSON.stringify(type)}`} is not allowed in a site's files`);
    const path = confined(rawName);
    if (path === undefined) throw new SourceRefused('files', rawName, rawName.startsWith('/') ? 'absolute path' : "path leaves the target directory ('..')");
    if (++this.s.entries > this.limits.maxEntries) throw new SourceRefused('files', rawName, `more than ${this.limits.maxEntries} entries`);
    if (path !== '.') this.topLevels.add(path.split('/')[0]!);
    for (let p = posix.dirname(path); p !== '.' && p !== '/'; p = posix.dirname(p)) {
      if (this.symlinks.has(p)) throw new SourceRefused('files', rawName, `written through the symlink ${JSON.stringify(p)} the archive made`);
    }
    if (kind === 'symlink') {
      if (link.startsWith('/')) {
        const prefix = (this.limits.linkPrefixes ?? []).find((p) => link.startsWith(p));
        if (!prefix || confined(link.slice(prefix.length)) === undefined) throw new SourceRefused('files', rawName, `symlink to the absolute path ${JSON.stringify(link)}`);
      } else if (confined(posix.join(posix.dirname(path), link)) === undefined) {
        throw new SourceRefused('files', rawName, `symlink to ${JSON.stringify(link)} leaves the target directory`);
      }
      this.symlinks.add(path);
    } else if (kind === 'hardlink') {
      const target = confined(link);
      if (target === undefined || !this.regular.has(target)) {
        throw new SourceRefused('files', rawName, `hardlink to ${JSON.stringify(link)}, which is not an earlier regular file of the archive`);
      }
    } else if (kind === 'file') {
      this.regular.add(path);
      this.s.files += 1;
      this.s.fileBytes += size;
    }
    // A later entry of the same name replaces a symlink; extraction unlinks first, so it no longer leads anywhere.
    if (kind !== 'symlink') this.symlinks.delete(path);
  }
}

/** The entry's path normalised inside the target (`./a/b/` → `a/b`), or undefined when it is absolute or climbs out. */
export function confined(name: string): string | undefined {
  if (name === '' || name.startsWith('/') || name.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      return undefined;
    }
    parts.push(part);
  }
  return parts.length ? parts.join('/') : '.';
}

function ustarName(h: Buffer): string {
  const name = cString(h.subarray(0, 100));
  const magic = h.subarray(257, 263).toString('latin1');
  const prefix = magic.startsWith('ustar') ? cString(h.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
}

function parsePax(data: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  let rest = Buffer.from(data, 'utf8');
  while (rest.length) {
    const space = rest.indexOf(0x20);
    const len = Number(rest.subarray(0, space).toString('latin1'));
    if (space < 1 || !Number.isInteger(len) || len <= space || len > rest.length) throw new SourceRefused('files', undefined, 'malformed pax header');
    const rec = rest.subarray(space + 1, len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    out.push({ key: rec.slice(0, eq), value: rec.slice(eq + 1) });
    rest = rest.subarray(len);
  }
  return out;
}

/** Absolute symlink targets a platform's own exports carry (into the image's read-only code), never into data. */
export function codeLinkPrefixes(platform: Platform): string[] {
  return platform === 'wordpress' ? ['/usr/share/wordpress/wp-content/'] : [];
}
