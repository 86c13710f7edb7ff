import type { DbCounts } from './manifest';

/**
 * Reads a `mariadb-dump` stream as it passes and counts what it holds: base tables, views,
 * triggers, routines, events and the rows of each table, and whether it ends with the
 * `-- Dump completed` marker. Only line heads and the last byte of each line are examined, so it
 * keeps up with a dump of gigabytes; it relies on the layout of MariaDB 10.11's dump (one row per
 * line in extended inserts, newlines escaped inside values) and says so when the layout differs.
 */
export class DumpScan {
  readonly rows: Record<string, number> = Object.create(null) as Record<string, number>;
  private tables = 0;
  private views = 0;
  private triggers = 0;
  private routines = 0;
  private events = 0;
  private completed = false;
  private sawContentAfterMarker = false;
  private bytes = 0;
  /** Table of the INSERT statement being read, if any. */
  private insertInto: string | undefined;
  private head: Buffer = Buffer.alloc(HEAD_BYTES);
  private headLen = 0;
  /** True once the current line's head is captured (or the line is a row line, where it is not needed). */
  private lineIsRow = false;
  private atLineStart = true;
  private lastByte = -1;

  get bytesSeen(): number {
    return this.bytes;
  }

  /** Feeds the next chunk of the dump. Throws {@link DumpFormatError} on a layout it cannot count. */
  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.atLineStart) {
        this.atLineStart = false;
        this.headLen = 0;
        this.lineIsRow = this.insertInto !== undefined && chunk[pos] === 0x28; // '('
        if (this.insertInto !== undefined && !this.lineIsRow) throw new DumpFormatError(`a line inside the INSERT into \`${this.insertInto}\` does not start with '('`);
      }
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl === -1 ? len : nl;
      if (!this.lineIsRow && this.headLen < HEAD_BYTES && end > pos) {
        const n = Math.min(HEAD_BYTES - this.headLen, end - pos);
        chunk.copy(this.head, this.headLen, pos, pos + n);
        this.headLen += n;
      }
      if (end > pos) this.lastByte = chunk[end - 1]!;
      if (nl === -1) break;
      this.endLine();
      pos = nl + 1;
    }
  }

  private endLine(): void {
    this.atLineStart = true;
    if (this.lineIsRow) {
      this.rows[this.insertInto!]! += 1;
      if (this.lastByte === 0x3b) this.insertInto = undefined; // ';' ends the statement
      this.lastByte = -1;
      return;
    }
    const line = this.head.toString('utf8', 0, this.headLen);
    this.lastByte = -1;
    if (this.completed && line.trim() !== '') this.sawContentAfterMarker = true;
    const insert = /^INSERT INTO `((?:[^`]|``)+)` VALUES(.*)$/.exec(line);
    if (insert) {
      const table = insert[1]!.replace(/``/g, '`');
      if (insert[2] !== '') throw new DumpFormatError(`INSERT into \`${table}\` has its rows on the statement's line; expected one row per line (MariaDB 10.11 layout)`);
      this.insertInto = table;
      this.rows[table] ??= 0;
      return;
    }
    const create = /^CREATE TABLE `((?:[^`]|``)+)` \($/.exec(line);
    if (create) {
      this.tables += 1;
      this.rows[create[1]!.replace(/``/g, '`')] ??= 0;
    } else if (/^\/\*!50003 CREATE\*\/ \/\*!50017 DEFINER=.*\*\/ \/\*!50003 TRIGGER /.test(line)) this.triggers += 1;
    else if (/^CREATE DEFINER=\S+ (PROCEDURE|FUNCTION) `/.test(line)) this.routines += 1;
    else if (/^\/\*!50106 CREATE\*\/ \/\*!50117 DEFINER=.*\*\/ \/\*!50106 EVENT `/.test(line)) this.events += 1;
    else if (/^\/\*!50001 VIEW `/.test(line)) this.views += 1;
    else if (line.startsWith('-- Dump completed')) this.completed = true;
  }

  /** Call once the stream ended: what it held. */
  result(): DumpSummary {
    // mariadb-dump ends every line, the marker included, with a newline: a last line without one was cut.
    const terminated = this.atLineStart;
    if (!terminated) this.endLine();
    return {
      counts: { tables: this.tables, views: this.views, triggers: this.triggers, routines: this.routines, events: this.events },
      rows: { ...this.rows },
      completed: terminated && this.completed && !this.sawContentAfterMarker && this.insertInto === undefined,
      bytes: this.bytes,
    };
  }
}

/** Room for `/*!50003 CREATE*\/ /*!50017 DEFINER=<80-char user>@<255-char host>*\/ /*!50003 TRIGGER`. */
const HEAD_BYTES = 512;

export interface DumpSummary {
  counts: DbCounts;
  rows: Record<string, number>;
  /** The `-- Dump completed` marker came last and no statement was left open. */
  completed: boolean;
  bytes: number;
}

export class DumpFormatError extends Error {
  override name = 'DumpFormatError';
}

/**
 * Problems that make a dump unfit to be a backup, compared with what the server says the
 * database holds: a dump that stopped early, or one that lacks tables, triggers, routines or
 * events (e.g. taken without --routines). Empty when the dump is complete.
 */
export function dumpProblems(dump: DumpSummary, server: DbCounts): string[] {
  const problems: string[] = [];
  if (!dump.completed) problems.push('the dump does not end with its "-- Dump completed" marker: it stopped early');
  for (const k of Object.keys(server) as (keyof DbCounts)[]) {
    if (dump.counts[k] !== server[k]) problems.push(`the dump holds ${dump.counts[k]} ${k} but the database has ${server[k]}`);
  }
  return problems;
}
