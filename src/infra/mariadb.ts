import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { join } from 'node:path';
import { readSecretFile, type TuttiConfig } from '../config';
import { MARIADB_ROOT_PASSWORD } from '../site/names';
import { UnavailableError } from './errors';

export type Db = mysql.Pool;

/** Root connection to the host's MariaDB (where the registry lives too); the password is read from the secrets store. */
export function connectHostDb(cfg: TuttiConfig): Db {
  return createDbPool({ host: cfg.mariadb.host, port: cfg.mariadb.port, user: 'root', password: readSecretFile(join(cfg.dataDir, 'secrets', MARIADB_ROOT_PASSWORD)) });
}

export interface MariadbTarget {
  host: string;
  port: number;
  user: string;
  /** Read from the secrets store by the caller; never logged. */
  password: string;
  database?: string;
}

export function createDbPool(t: MariadbTarget): Db {
  return mysql.createPool({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    connectionLimit: 4,
    multipleStatements: false,
    connectTimeout: 5_000,
  });
}

/**
 * mysql2 errors carry the SQL text, which for CREATE/ALTER USER holds a password. Activities
 * rethrow through this, which keeps the code and message only.
 */
export function scrubDbError(err: unknown, what: string): Error {
  const e = err as { code?: string; errno?: number; sqlMessage?: string; message?: string };
  if (e.code === 'ECONNREFUSED' || e.code === 'ETIMEDOUT' || e.code === 'PROTOCOL_CONNECTION_LOST') {
    return new UnavailableError('mariadb', `${what}: not answering (${e.code})`, 'start it with npm run up; check `docker ps` for the mariadb container');
  }
  const clean = new Error(`${what}: ${e.code ?? 'error'} ${e.sqlMessage ?? e.message ?? ''}`.trim());
  clean.name = 'DbError';
  return clean;
}

/** Quotes a validated identifier. Callers only pass names built from validated slugs. */
export function quoteId(name: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`unsafe SQL identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

/** In GRANT ... ON `db`.*, `_` and `%` are wildcards: escape them so a grant names exactly one database. */
export function grantDbPattern(database: string): string {
  return quoteId(database).replace(/_/g, '\\_').replace(/%/g, '\\%');
}

export async function serverVersion(db: Db): Promise<string> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
  return String(rows[0]?.v);
}

export async function ensureDatabase(db: Db, name: string): Promise<void> {
  await db.query(`CREATE DATABASE IF NOT EXISTS ${quoteId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
}

export async function dropDatabase(db: Db, name: string): Promise<void> {
  await db.query(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
}

export async function databaseExists(db: Db, name: string): Promise<boolean> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  return rows.length > 0;
}

/**
 * MariaDB's mysql_native_password hash, `*` + hex SHA1(SHA1(password)): statements carry this
 * instead of the password, so it shows in no processlist, log or error. The hash alone does not
 * log anyone in.
 */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

function accountOf(user: string): string {
  return `'${user.replace(/[^A-Za-z0-9_]/g, '')}'@'%'`;
}

/** Creates or re-keys a user that may use exactly one database. */
export async function ensureDbUser(db: Db, user: string, password: string, database: string): Promise<void> {
  const account = accountOf(user);
  try {
    await db.query(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY PASSWORD ?`, [nativePasswordHash(password)]);
    await db.query(`ALTER USER ${account} IDENTIFIED BY PASSWORD ?`, [nativePasswordHash(password)]);
    await db.query(`GRANT ALL PRIVILEGES ON ${grantDbPattern(database)}.* TO ${account}`);
  } catch (err) {
    throw scrubDbError(err, `creating user ${user}`);
  }
}

/**
 * Sets the passwords a user logs in with. With two, either works: MariaDB tries each
 * authentication in turn, which is how a rotation overlaps the old and the new password.
 */
export async function setDbUserPasswords(db: Db, user: string, passwords: string[]): Promise<void> {
  if (passwords.length === 0) throw new Error(`setDbUserPasswords(${user}): at least one password`);
  const via = passwords.map(() => 'mysql_native_password USING ?').join(' OR ');
  try {
    await db.query(`ALTER USER ${accountOf(user)} IDENTIFIED VIA ${via}`, passwords.map(nativePasswordHash));
  } catch (err) {
    throw scrubDbError(err, `setting the passwords of ${user}`);
  }
}

/** Whether `user` can log in with `password` (a fresh connection, closed at once). */
export async function canLogIn(target: Omit<MariadbTarget, 'database'>): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, connectTimeout: 5_000 });
    await conn.end();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
    throw scrubDbError(err, `logging in as ${target.user}`);
  }
}

export async function listDatabases(db: Db): Promise<string[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA');
  return rows.map((r) => String(r.name));
}

/** Takes a user's grant on one database away (no error when there is none). */
export async function revokeDb(db: Db, user: string, database: string): Promise<void> {
  try {
    await db.query(`REVOKE ALL PRIVILEGES ON ${grantDbPattern(database)}.* FROM '${user.replace(/[^A-Za-z0-9_]/g, '')}'@'%'`);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ER_NONEXISTING_GRANT') throw scrubDbError(err, `revoking ${user} on ${database}`);
  }
}

export async function dropDbUser(db: Db, user: string): Promise<void> {
  await db.query(`DROP USER IF EXISTS '${user.replace(/[^A-Za-z0-9_]/g, '')}'@'%'`);
}

export async function userExists(db: Db, user: string): Promise<boolean> {
  const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
  return rows.length > 0;
}
