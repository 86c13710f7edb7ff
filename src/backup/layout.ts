/**
 * Where backups live in the bucket: `<prefix>/<site>/<backupId>/<object>`. The manifest is
 * written last; a backup folder without it is incomplete and is never listed nor restored.
 */
export const OBJECT = {
  /** The database dump and files archive of backups compressed with gzip (made before zstd became the default). */
  db: 'db.sql.gz',
  files: 'files.tar.gz',
  dbZstd: 'db.sql.zst',
  filesZstd: 'files.tar.zst',
  manifest: 'manifest.json',
  /** Written by verifyBackup next to the manifest (which stays immutable). */
  verification: 'verification.json',
} as const;
export type ObjectName = (typeof OBJECT)[keyof typeof OBJECT];

/** How a backup's objects are compressed; the manifest says which. */
export type Compression = 'gzip' | 'zstd';

/** The names of a backup's database dump and files archive for its compression. */
export function objectNames(compression: Compression): { db: string; files: string } {
  return compression === 'zstd' ? { db: OBJECT.dbZstd, files: OBJECT.filesZstd } : { db: OBJECT.db, files: OBJECT.files };
}

export function sitePrefix(prefix: string, slug: string): string {
  return `${prefix}/${slug}/`;
}

export function backupPrefix(prefix: string, slug: string, backupId: string): string {
  return `${prefix}/${slug}/${backupId}/`;
}

export function objectKey(prefix: string, slug: string, backupId: string, name: string): string {
  return `${backupPrefix(prefix, slug, backupId)}${name}`;
}

export interface ParsedKey {
  slug: string;
  backupId: string;
  name: string;
}

/** The parts of a key under `prefix`, or undefined for anything that is not `<site>/<id>/<name>`. */
export function parseObjectKey(prefix: string, key: string): ParsedKey | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const parts = key.slice(prefix.length + 1).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  return { slug: parts[0]!, backupId: parts[1]!, name: parts[2]! };
}
