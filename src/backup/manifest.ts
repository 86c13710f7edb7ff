import { z } from 'zod';
import type { SiteSpec } from '../site/spec';
import { backupIdSchema, domainSchema, hostSchema, imageSchema, platformSchema, slugSchema, tablePrefixSchema, titleSchema } from '../site/validate';
import { objectNames } from './layout';

/**
 * The manifest: what a backup is, written last. It carries the site's spec, so the bucket alone
 * is enough to restore the site on a new control plane, and the size and SHA-256 of every object
 * plus the database's counts, so a restore can prove it got back exactly what was saved.
 */
export const MANIFEST_FORMAT = 'tutti-backup/1';

const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'must be a hex SHA-256');
const size = z.number().int().min(0);

export const objectInfoSchema = z
  .object({
    /** Name inside the backup's folder, e.g. db.sql.zst. */
    name: z.string().regex(/^[a-z0-9.-]+$/),
    bytes: size,
    sha256,
    /** Bytes before compression. */
    rawBytes: size,
    /** zstd since it became the default; gzip in backups made before, which stay restorable. */
    compression: z.enum(['gzip', 'zstd']),
  })
  .strict();
export type ObjectInfo = z.infer<typeof objectInfoSchema>;

export const dbCountsSchema = z.object({ tables: size, views: size, triggers: size, routines: size, events: size }).strict();
export type DbCounts = z.infer<typeof dbCountsSchema>;

export const siteSpecSchema = z
  .object({ slug: slugSchema, domains: z.array(domainSchema).min(1), platform: platformSchema, image: imageSchema, host: hostSchema, title: titleSchema, tablePrefix: tablePrefixSchema.optional() })
  .strict();

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    backupId: backupIdSchema,
    site: slugSchema,
    spec: siteSpecSchema,
    generation: z.number().int().min(1),
    imageId: z.string().nullable(),
    reason: z.enum(['manual', 'fleet', 'final', 'pre-restore', 'pre-upgrade']),
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime(),
    objects: z.object({ db: objectInfoSchema, files: objectInfoSchema }).strict(),
    database: z.object({ name: z.string(), counts: dbCountsSchema, rows: z.record(z.string(), size) }).strict(),
    files: z.object({ entries: size, bytes: size, warnings: z.array(z.string()) }).strict(),
    tools: z.object({ dump: z.string(), server: z.string(), tar: z.string() }).strict(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;
export type BackupReason = Manifest['reason'];

/** What the database dump step reports. */
export interface DbPart {
  object: ObjectInfo;
  database: string;
  counts: DbCounts;
  rows: Record<string, number>;
  dumpVersion: string;
  serverVersion: string;
}

/** What the files archive step reports. */
export interface FilesPart {
  object: ObjectInfo;
  entries: number;
  bytes: number;
  warnings: string[];
  tarVersion: string;
}

export interface ManifestInput {
  backupId: string;
  spec: SiteSpec;
  generation: number;
  imageId: string | null;
  reason: BackupReason;
  startedAt: string;
  endedAt: string;
  db: DbPart;
  files: FilesPart;
}

export function buildManifest(i: ManifestInput): Manifest {
  return {
    format: MANIFEST_FORMAT,
    backupId: i.backupId,
    site: i.spec.slug,
    spec: { slug: i.spec.slug, domains: i.spec.domains, platform: i.spec.platform, image: i.spec.image, host: i.spec.host, title: i.spec.title, ...(i.spec.tablePrefix ? { tablePrefix: i.spec.tablePrefix } : {}) },
    generation: i.generation,
    imageId: i.imageId,
    reason: i.reason,
    startedAt: i.startedAt,
    endedAt: i.endedAt,
    objects: { db: i.db.object, files: i.files.object },
    database: { name: i.db.database, counts: i.db.counts, rows: i.db.rows },
    files: { entries: i.files.entries, bytes: i.files.bytes, warnings: i.files.warnings },
    tools: { dump: i.db.dumpVersion, server: i.db.serverVersion, tar: i.files.tarVersion },
  };
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/**
 * Parses a manifest read from `<slug>/<backupId>/manifest.json` and checks it belongs there: a
 * manifest of another site or backup (copied or moved by hand) is foreign and refused.
 */
export function parseManifest(text: string, expected: { slug: string; backupId: string }): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(`manifest of backup ${expected.backupId} of site ${expected.slug} is not JSON`);
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ManifestError(`manifest of backup ${expected.backupId} of site ${expected.slug} is invalid at ${issue.path.join('.') || 'top'}: ${issue.message}`);
  }
  const m = r.data;
  if (m.site !== expected.slug || m.spec.slug !== expected.slug || m.backupId !== expected.backupId) {
    throw new ManifestError(`foreign backup: ${expected.slug}/${expected.backupId} holds the manifest of ${m.site}/${m.backupId}; it was copied there, refusing to restore it`);
  }
  for (const o of [m.objects.db, m.objects.files]) {
    const names = objectNames(o.compression);
    if (o.name !== (o === m.objects.db ? names.db : names.files)) {
      throw new ManifestError(`manifest of ${expected.slug}/${expected.backupId} names unexpected objects ${m.objects.db.name} (${m.objects.db.compression}), ${m.objects.files.name} (${m.objects.files.compression})`);
    }
  }
  return m;
}

/** Differences between a restored database and the manifest, one line each; empty when they agree. */
export function compareDatabase(expected: Manifest['database'], actual: { counts: DbCounts; rows: Record<string, number> }): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(expected.counts) as (keyof DbCounts)[]) {
    if (expected.counts[k] !== actual.counts[k]) problems.push(`${k}: expected ${expected.counts[k]}, found ${actual.counts[k]}`);
  }
  const names = new Set([...Object.keys(expected.rows), ...Object.keys(actual.rows)]);
  for (const t of [...names].sort()) {
    const e = expected.rows[t];
    const a = actual.rows[t];
    if (e !== a) problems.push(`table ${t}: expected ${e ?? 'no table'} rows, found ${a ?? 'no table'}`);
  }
  return problems;
}

/** Written by verifyBackup beside the manifest: the last restore drill of this backup. */
export const verificationSchema = z.object({
  backupId: backupIdSchema,
  ok: z.boolean(),
  checkedAt: z.iso.datetime(),
  restoreSeconds: z.number().nullable(),
  detail: z.string(),
});
export type Verification = z.infer<typeof verificationSchema>;
