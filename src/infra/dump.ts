import type { RowDataPacket } from 'mysql2/promise';
import type Docker from 'dockerode';
import { exec, execOk } from './dockerExec';
import { quoteId, type Db } from './mariadb';

/**
 * mariadb-dump and mariadb (the loader) run by `docker exec` in the host's MariaDB container, as
 * root over its unix socket: no password exists on any argv. Each carries a marker option, so a
 * dump or load orphaned by a killed worker can be found by database and stopped before the next
 * one starts: two dumps of one database never run at once.
 */
const DUMP_MARK = '--defaults-group-suffix=_tutti_backup';
const LOAD_MARK = '--defaults-group-suffix=_tutti_restore';

export function dumpArgv(database: string): string[] {
  // --defaults-group-suffix must come first; it only names option groups that do not exist.
  return [
    'mariadb-dump',
    DUMP_MARK,
    '--single-transaction',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--default-character-set=utf8mb4',
    '--',
    database,
  ];
}

export function loadArgv(database: string): string[] {
  return ['mariadb', LOAD_MARK, '--default-character-set=utf8mb4', '--', database];
}

export type Tool = 'dump' | 'load';

interface Proc {
  pid: number;
  args: string;
}

/** Processes of `tool` for `database` running in the container, found by their marker. */
export async function findTool(docker: Docker, container: string, tool: Tool, database: string): Promise<Proc[]> {
  const { stdout } = await execOk(docker, container, ['ps', '-eo', 'pid=,args=']);
  const [bin, mark] = tool === 'dump' ? ['mariadb-dump', DUMP_MARK] : ['mariadb', LOAD_MARK];
  return stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]!.trim() }))
    .filter((p) => {
      const argv = p.args.split(/\s+/);
      return argv[0]!.split('/').pop() === bin && argv[1] === mark && argv[argv.length - 1] === database;
    });
}

/**
 * Stops every `tool` process for `database` in the container (TERM, then KILL after 5 s) and,
 * for dumps, kills the server-side queries a dump leaves (its SELECT SQL_NO_CACHE). Returns the
 * PIDs it stopped.
 */
export async function stopTool(docker: Docker, container: string, tool: Tool, database: string, db: Db): Promise<number[]> {
  const found = await findTool(docker, container, tool, database);
  if (found.length) {
    await exec(docker, container, ['kill', '-TERM', ...found.map((p) => String(p.pid))]);
    for (let i = 0; i < 50; i++) {
      const left = await findTool(docker, container, tool, database);
      if (!left.length) break;
      if (i === 49) await exec(docker, container, ['kill', '-KILL', ...left.map((p) => String(p.pid))]);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (tool === 'dump') {
    const [rows] = await db.query<RowDataPacket[]>(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND USER = 'root' AND INFO LIKE 'SELECT /*!40001 SQL\\_NO\\_CACHE */%'",
      [database],
    );
    for (const r of rows) await db.query(`KILL QUERY ${Number(r.ID)}`).catch(() => undefined);
  }
  return found.map((p) => p.pid);
}

export interface ToolVersions {
  dump: string;
  server: string;
}

export async function toolVersions(docker: Docker, container: string, db: Db): Promise<ToolVersions> {
  const dump = (await execOk(docker, container, ['mariadb-dump', '--version'])).stdout.trim();
  const [rows] = await db.query<RowDataPacket[]>('SELECT VERSION() AS v');
  return { dump, server: String(rows[0]?.v) };
}

/** What the server says a database holds, counted the way the dump scan counts. */
export async function databaseCounts(db: Db, database: string): Promise<{ tables: number; views: number; triggers: number; routines: number; events: number }> {
  const one = async (sql: string) => {
    const [rows] = await db.query<RowDataPacket[]>(sql, [database]);
    return Number(rows[0]?.n ?? 0);
  };
  return {
    tables: await one("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'"),
    views: await one('SELECT COUNT(*) AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?'),
    triggers: await one('SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?'),
    routines: await one("SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION')"),
    events: await one('SELECT COUNT(*) AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?'),
  };
}

/** Exact row count of every base table (COUNT(*), not the estimate in information_schema). */
export async function tableRowCounts(db: Db, database: string): Promise<Record<string, number>> {
  const [tables] = await db.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  );
  const rows: Record<string, number> = {};
  for (const { t } of tables) {
    const [r] = await db.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quoteId(database)}.${quoteTable(String(t))}`);
    rows[String(t)] = Number(r[0]?.n ?? 0);
  }
  return rows;
}

/** Table names come from information_schema, not from users: backquote them, doubling backquotes. */
function quoteTable(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
