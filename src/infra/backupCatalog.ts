import { backupTime } from '../backup/ids';
import { OBJECT, backupPrefix, sitePrefix } from '../backup/layout';
import { ManifestError, parseManifest, verificationSchema, type Manifest, type Verification } from '../backup/manifest';
import { slugSchema } from '../site/validate';
import type { BackupBucket } from './backupStore';

/** One backup folder as found in the bucket. */
export interface BackupListing {
  id: string;
  /** good: manifest valid and every object there with its size; incomplete: no manifest; damaged: the rest. */
  state: 'good' | 'incomplete' | 'damaged';
  problem?: string;
  manifest?: Manifest;
  /** Bytes stored for this backup. */
  bytes: number;
  verification?: Verification;
}

/**
 * Every backup of a site, newest first, judged from the bucket alone: no registry needed, so
 * this works on a fresh control plane. Object sizes are compared, not checksums (a restore
 * checks those).
 */
export async function listSiteBackups(bucket: BackupBucket, prefix: string, slug: string): Promise<BackupListing[]> {
  const byId = await backupFolders(bucket, prefix, slug);
  const listings: BackupListing[] = [];
  for (const [id, files] of byId) {
    const bytes = [...files.values()].reduce((a, b) => a + b, 0);
    if (!files.has(OBJECT.manifest)) {
      listings.push({ id, state: 'incomplete', problem: 'no manifest', bytes });
      continue;
    }
    const listing = await judge(bucket, prefix, slug, id, files, bytes);
    if (files.has(OBJECT.verification)) listing.verification = await readVerification(bucket, `${backupPrefix(prefix, slug, id)}${OBJECT.verification}`);
    listings.push(listing);
  }
  return listings.sort((a, b) => b.id.localeCompare(a.id));
}

/**
 * The site's newest good backup, or undefined when it has none. Reads manifests newest first and
 * stops at the first good one, so it stays cheap for a site with a long history.
 */
export async function newestGoodBackup(bucket: BackupBucket, prefix: string, slug: string): Promise<(BackupListing & { manifest: Manifest }) | undefined> {
  const byId = await backupFolders(bucket, prefix, slug);
  for (const id of [...byId.keys()].sort().reverse()) {
    const files = byId.get(id)!;
    if (!files.has(OBJECT.manifest)) continue;
    const listing = await judge(bucket, prefix, slug, id, files, [...files.values()].reduce((a, b) => a + b, 0));
    if (listing.state === 'good' && listing.manifest) return { ...listing, manifest: listing.manifest };
  }
  return undefined;
}

/** A site's backup folders in the bucket: backup ID → object name → size. */
async function backupFolders(bucket: BackupBucket, prefix: string, slug: string): Promise<Map<string, Map<string, number>>> {
  const objects = await bucket.list(sitePrefix(prefix, slug));
  const byId = new Map<string, Map<string, number>>();
  for (const o of objects) {
    const [id, name, ...rest] = o.key.slice(sitePrefix(prefix, slug).length).split('/');
    if (!id || !name || rest.length || !backupTime(id)) continue;
    byId.set(id, (byId.get(id) ?? new Map<string, number>()).set(name, o.size));
  }
  return byId;
}

async function judge(bucket: BackupBucket, prefix: string, slug: string, id: string, files: Map<string, number>, bytes: number): Promise<BackupListing> {
  let manifest: Manifest;
  try {
    manifest = parseManifest((await bucket.readText(`${backupPrefix(prefix, slug, id)}${OBJECT.manifest}`)) ?? '', { slug, backupId: id });
  } catch (err) {
    if (err instanceof ManifestError) return { id, state: 'damaged', problem: err.message, bytes };
    throw err;
  }
  for (const o of [manifest.objects.db, manifest.objects.files]) {
    const size = files.get(o.name);
    if (size === undefined) return { id, state: 'damaged', problem: `${o.name} is missing`, manifest, bytes };
    if (size !== o.bytes) return { id, state: 'damaged', problem: `${o.name} has ${size} bytes, the manifest says ${o.bytes}`, manifest, bytes };
  }
  return { id, state: 'good', manifest, bytes };
}

async function readVerification(bucket: BackupBucket, key: string): Promise<Verification | undefined> {
  try {
    const r = verificationSchema.safeParse(JSON.parse((await bucket.readText(key)) ?? 'null'));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** The sites that have a folder in the bucket (valid slugs only). */
export async function listBackupSites(bucket: BackupBucket, prefix: string): Promise<string[]> {
  return (await bucket.folders(`${prefix}/`)).filter((s) => slugSchema.safeParse(s).success).sort();
}
