import type mysql from 'mysql2/promise';
import type { CronSettings } from '../site/cron';
import type { Db } from './mariadb';

/**
 * Per-site cron settings (`tutti cron set`), beside the site registry in the `tutti` schema.
 * A site without a row uses the configured defaults, so the table is only written on demand.
 */
const TABLE = `CREATE TABLE IF NOT EXISTS tutti.site_cron (
  slug VARCHAR(30) PRIMARY KEY,
  every_seconds INT NULL,
  timeout_seconds INT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
)`;

const NO_SUCH_TABLE = 1146;

function missingTable(err: unknown): boolean {
  return (err as { errno?: number }).errno === NO_SUCH_TABLE;
}

export async function ensureCronSettingsSchema(db: Db): Promise<void> {
  await db.query(TABLE);
}

export async function getCronSettings(db: Db, slug: string): Promise<CronSettings> {
  try {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT every_seconds, timeout_seconds FROM tutti.site_cron WHERE slug = ?', [slug]);
    const row = rows[0];
    return { everySeconds: (row?.every_seconds as number | null) ?? null, timeoutSeconds: (row?.timeout_seconds as number | null) ?? null };
  } catch (err) {
    if (missingTable(err)) return { everySeconds: null, timeoutSeconds: null };
    throw err;
  }
}

/** Sets the given fields (null: back to the default); fields left undefined keep their value. */
export async function setCronSettings(db: Db, slug: string, fields: Partial<CronSettings>): Promise<CronSettings> {
  await ensureCronSettingsSchema(db);
  const current = await getCronSettings(db, slug);
  const next: CronSettings = {
    everySeconds: fields.everySeconds === undefined ? current.everySeconds : fields.everySeconds,
    timeoutSeconds: fields.timeoutSeconds === undefined ? current.timeoutSeconds : fields.timeoutSeconds,
  };
  await db.query(
    'INSERT INTO tutti.site_cron (slug, every_seconds, timeout_seconds) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE every_seconds = VALUES(every_seconds), timeout_seconds = VALUES(timeout_seconds)',
    [slug, next.everySeconds, next.timeoutSeconds],
  );
  return next;
}

export async function forgetCronSettings(db: Db, slug: string): Promise<void> {
  try {
    await db.query('DELETE FROM tutti.site_cron WHERE slug = ?', [slug]);
  } catch (err) {
    if (!missingTable(err)) throw err;
  }
}
