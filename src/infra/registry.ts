import type mysql from 'mysql2/promise';
import type { TuttiConfig } from '../config';
import type { SiteSpec } from '../site/spec';
import { CERT_SCHEMA } from './certRegistry';
import { connectHostDb, type Db } from './mariadb';

/**
 * The site registry and audit log: a `tutti` schema on the control plane's MariaDB, written only
 * by activities, every write an idempotent upsert.
 */
const SCHEMA = [
  'CREATE DATABASE IF NOT EXISTS `tutti` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
  `CREATE TABLE IF NOT EXISTS tutti.sites (
    slug VARCHAR(30) PRIMARY KEY,
    spec JSON NOT NULL,
    host VARCHAR(31) NOT NULL,
    status VARCHAR(16) NOT NULL,
    image_id VARCHAR(80) NULL,
    active_container VARCHAR(120) NULL,
    created_by_run VARCHAR(64) NOT NULL,
    generation INT NOT NULL DEFAULT 1,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
  )`,
  // columns added after the first release of the schema
  "ALTER TABLE tutti.sites ADD COLUMN IF NOT EXISTS created_by_run VARCHAR(64) NOT NULL DEFAULT ''",
  'ALTER TABLE tutti.sites ADD COLUMN IF NOT EXISTS generation INT NOT NULL DEFAULT 1',
  `CREATE TABLE IF NOT EXISTS tutti.domains (
    domain VARCHAR(253) PRIMARY KEY,
    slug VARCHAR(30) NOT NULL,
    KEY by_slug (slug)
  )`,
  `CREATE TABLE IF NOT EXISTS tutti.audit (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    run_id VARCHAR(64) NOT NULL,
    workflow_id VARCHAR(200) NOT NULL,
    slug VARCHAR(30) NULL,
    operation VARCHAR(40) NOT NULL,
    started_by VARCHAR(120) NOT NULL,
    started_at DATETIME(3) NOT NULL,
    ended_at DATETIME(3) NULL,
    result VARCHAR(16) NULL,
    detail TEXT NULL,
    UNIQUE KEY by_run (run_id),
    KEY by_slug (slug, started_at)
  )`,
];

export async function createRegistrySchema(db: Db): Promise<void> {
  for (const stmt of [...SCHEMA, ...CERT_SCHEMA]) await db.query(stmt);
}

/** For `npm run up`: connects as root with the stored password and creates the schema if missing. */
export async function ensureRegistrySchema(cfg: TuttiConfig): Promise<void> {
  const db = connectHostDb(cfg);
  try {
    await createRegistrySchema(db);
  } finally {
    await db.end();
  }
}

export type SiteStatus = 'creating' | 'active' | 'deleting' | 'failed';

export interface SiteRecord {
  spec: SiteSpec;
  status: SiteStatus;
  imageId: string | null;
  activeContainer: string | null;
  /** Which generation of database and files volume is live (see siteNames). */
  generation: number;
  createdAt: string;
  updatedAt: string;
}

function toRecord(row: mysql.RowDataPacket): SiteRecord {
  const spec = typeof row.spec === 'string' ? (JSON.parse(row.spec) as SiteSpec) : (row.spec as SiteSpec);
  return {
    spec,
    status: row.status as SiteStatus,
    imageId: row.image_id as string | null,
    activeContainer: row.active_container as string | null,
    generation: Number(row.generation),
    createdAt: new Date(row.created_at as Date).toISOString(),
    updatedAt: new Date(row.updated_at as Date).toISOString(),
  };
}

export async function getSite(db: Db, slug: string): Promise<SiteRecord | undefined> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT * FROM tutti.sites WHERE slug = ?', [slug]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function listSites(db: Db, host?: string): Promise<SiteRecord[]> {
  const [rows] = host
    ? await db.query<mysql.RowDataPacket[]>('SELECT * FROM tutti.sites WHERE host = ? ORDER BY slug', [host])
    : await db.query<mysql.RowDataPacket[]>('SELECT * FROM tutti.sites ORDER BY slug');
  return rows.map(toRecord);
}

export class DomainTakenError extends Error {
  override name = 'DomainTakenError';
}

export class SiteExistsError extends Error {
  override name = 'SiteExistsError';
}

/**
 * Records a new site and claims its domains in one transaction, for the run `runId` (a retry of
 * the same run finds its own claim). A slug or domain owned by another site fails with
 * {@link SiteExistsError} / {@link DomainTakenError} and changes nothing.
 */
export async function claimSite(db: Db, spec: SiteSpec, runId: string): Promise<void> {
  const conn = await db.getConnection();
  try {
    await conn.beginTransaction();
    const [mine] = await conn.query<mysql.RowDataPacket[]>('SELECT created_by_run, status FROM tutti.sites WHERE slug = ? FOR UPDATE', [spec.slug]);
    if (mine[0] && mine[0].created_by_run !== runId) {
      await conn.rollback();
      throw new SiteExistsError(`site ${spec.slug} already exists (${mine[0].status as string}); choose another slug or delete it first`);
    }
    const [taken] = await conn.query<mysql.RowDataPacket[]>('SELECT domain, slug FROM tutti.domains WHERE domain IN (?) AND slug <> ? FOR UPDATE', [spec.domains, spec.slug]);
    if (taken.length) {
      await conn.rollback();
      throw new DomainTakenError(`domain ${taken[0]!.domain as string} already belongs to site ${taken[0]!.slug as string}; delete that site or choose another domain`);
    }
    await conn.query(
      'INSERT INTO tutti.sites (slug, spec, host, status, created_by_run) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE spec = VALUES(spec)',
      [spec.slug, JSON.stringify(spec), spec.host, 'creating', runId],
    );
    await conn.query('DELETE FROM tutti.domains WHERE slug = ? AND domain NOT IN (?)', [spec.slug, spec.domains]);
    for (const d of spec.domains) await conn.query('INSERT IGNORE INTO tutti.domains (domain, slug) VALUES (?, ?)', [d, spec.slug]);
    await conn.commit();
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
}

export interface SiteUpdate {
  status?: SiteStatus;
  imageId?: string;
  activeContainer?: string | null;
  generation?: number;
  spec?: SiteSpec;
}

export async function updateSite(db: Db, slug: string, fields: SiteUpdate): Promise<void> {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    values.push(value);
  };
  if (fields.status) set('status', fields.status);
  if (fields.imageId) set('image_id', fields.imageId);
  if (fields.activeContainer !== undefined) set('active_container', fields.activeContainer);
  if (fields.spec) set('spec', JSON.stringify(fields.spec));
  if (fields.generation) set('generation', fields.generation);
  if (!sets.length) return;
  await db.query(`UPDATE tutti.sites SET ${sets.join(', ')} WHERE slug = ?`, [...values, slug]);
}

export async function forgetSite(db: Db, slug: string): Promise<void> {
  await db.query('DELETE FROM tutti.domains WHERE slug = ?', [slug]);
  await db.query('DELETE FROM tutti.sites WHERE slug = ?', [slug]);
}

export interface AuditEntry {
  runId: string;
  workflowId: string;
  slug?: string;
  operation: string;
  startedBy: string;
  startedAt: string;
}

export async function auditStart(db: Db, e: AuditEntry): Promise<void> {
  await db.query(
    'INSERT INTO tutti.audit (run_id, workflow_id, slug, operation, started_by, started_at) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE run_id = run_id',
    [e.runId, e.workflowId, e.slug ?? null, e.operation, e.startedBy, new Date(e.startedAt)],
  );
}

export async function auditEnd(db: Db, runId: string, result: 'completed' | 'failed' | 'cancelled', detail: string): Promise<void> {
  await db.query('UPDATE tutti.audit SET ended_at = CURRENT_TIMESTAMP(3), result = ?, detail = ? WHERE run_id = ? AND ended_at IS NULL', [result, detail.slice(0, 4000), runId]);
}

export async function auditFor(db: Db, slug: string, limit = 20): Promise<mysql.RowDataPacket[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT operation, started_by, started_at, ended_at, result, detail, workflow_id, run_id FROM tutti.audit WHERE slug = ? ORDER BY started_at DESC LIMIT ?', [slug, limit]);
  return rows;
}
