import type mysql from 'mysql2/promise';
import type { CertificateRecord } from '../site/tls';
import type { Db } from './mariadb';

/** Certificates, in the registry's schema (created with it). Pending ACME challenges are files in the Varnish container (Varnish.putChallenge). */
export const CERT_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS tutti.certificates (
    slug VARCHAR(30) PRIMARY KEY,
    domains JSON NOT NULL,
    not_before DATETIME(3) NULL,
    not_after DATETIME(3) NULL,
    serial VARCHAR(80) NULL,
    last_attempt_at DATETIME(3) NULL,
    last_error TEXT NULL,
    failed_domain VARCHAR(253) NULL
  )`,
];

const iso = (v: unknown) => (v ? new Date(v as Date).toISOString() : null);

function toRecord(row: mysql.RowDataPacket): CertificateRecord {
  return {
    slug: row.slug as string,
    domains: typeof row.domains === 'string' ? (JSON.parse(row.domains) as string[]) : (row.domains as string[]),
    notBefore: iso(row.not_before),
    notAfter: iso(row.not_after),
    serial: (row.serial as string | null) ?? null,
    lastAttemptAt: iso(row.last_attempt_at),
    lastError: (row.last_error as string | null) ?? null,
    failedDomain: (row.failed_domain as string | null) ?? null,
  };
}

export async function listCertificates(db: Db): Promise<CertificateRecord[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT * FROM tutti.certificates ORDER BY slug');
  return rows.map(toRecord);
}

export async function getCertificate(db: Db, slug: string): Promise<CertificateRecord | undefined> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT * FROM tutti.certificates WHERE slug = ?', [slug]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function recordIssued(db: Db, slug: string, c: { domains: string[]; notBefore: Date; notAfter: Date; serial: string }): Promise<void> {
  await db.query(
    `INSERT INTO tutti.certificates (slug, domains, not_before, not_after, serial, last_attempt_at, last_error, failed_domain)
     VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP(3), NULL, NULL)
     ON DUPLICATE KEY UPDATE domains = VALUES(domains), not_before = VALUES(not_before), not_after = VALUES(not_after), serial = VALUES(serial),
       last_attempt_at = VALUES(last_attempt_at), last_error = NULL, failed_domain = NULL`,
    [slug, JSON.stringify(c.domains), c.notBefore, c.notAfter, c.serial],
  );
}

/** A failed attempt: the live certificate (if any) stays recorded beside the error. */
export async function recordFailure(db: Db, slug: string, error: string, domain: string | null): Promise<void> {
  await db.query(
    `INSERT INTO tutti.certificates (slug, domains, last_attempt_at, last_error, failed_domain) VALUES (?, '[]', CURRENT_TIMESTAMP(3), ?, ?)
     ON DUPLICATE KEY UPDATE last_attempt_at = VALUES(last_attempt_at), last_error = VALUES(last_error), failed_domain = VALUES(failed_domain)`,
    [slug, error.slice(0, 2000), domain],
  );
}

export async function forgetCertificate(db: Db, slug: string): Promise<void> {
  await db.query('DELETE FROM tutti.certificates WHERE slug = ?', [slug]);
}
