import { Transform, type TransformCallback } from 'node:stream';

/** Only a line's head is examined and adjusted: rows of extended inserts can be megabytes long. */
export const HEAD = 256;

/** What the load does with one line of a dump instead of running it as it is. */
export type LineAdjustment =
  /** Not loaded: it only names the one database being exported, or is replication bookkeeping the site's user may not run. */
  | { drop: string; database?: string }
  /** Loaded with this head instead: an account or collation this server cannot take, replaced. */
  | { head: string; note: string }
  /** Refused: it names a second database. */
  | { refuse: string };

const ID = '`((?:[^`]|``)+)`';
const CREATE_DB = new RegExp(`^CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:/\\*!\\d+\\s+)?(?:IF\\s+NOT\\s+EXISTS\\s*)?(?:\\*/\\s*)?${ID}[^;]*;\\s*$`, 'i');
const USE_DB = new RegExp(`^USE\\s+${ID}\\s*;\\s*$`, 'i');
const DROP_DB = new RegExp(`^(?:/\\*!\\d+\\s+)?DROP\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+EXISTS\\s+)?${ID}\\s*(?:\\*/)?\\s*;\\s*$`, 'i');
/** mysqldump of a server with GTIDs: the purged set and the binlog switch, server-wide or SUPER-only, meaningless for one site's data. */
const REPLICATION = /^(SET\s+@@GLOBAL\.GTID_PURGED\s*=|SET\s+@@SESSION\.SQL_LOG_BIN\s*=|SET\s+@MYSQLDUMP_TEMP_LOG_BIN\s*=\s*@@SESSION\.SQL_LOG_BIN)[^;]*;\s*$/i;
/** `DEFINER=\`root\`@\`localhost\``: the site's user may only define objects as itself. */
const DEFINER = /DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'[^']*'|[\w.]+)\s*@\s*(?:`(?:[^`]|``)*`|'[^']*'|[\w.%-]+)/gi;
/** MySQL 8's default collations; this MariaDB does not know them. */
const MYSQL8_COLLATION = /\butf8mb4_0900_(?:ai_ci|as_ci|as_cs|bin)\b/g;
/** Schema lines (DDL and column definitions), never rows of data. */
const SCHEMA_LINE = /^(?:CREATE\s|\/\*!\d+\s|`|\)\s*(?:ENGINE|DEFAULT|COLLATE|CHARSET))/i;

const unquote = (id: string) => id.replace(/``/g, '`');

/**
 * The one rule both the inspection and the load apply to a line (`text`: its head, leading
 * whitespace removed; `whole`: the head is the entire line), so the load does exactly what
 * inspection reported. `database` is the name the dump's first CREATE DATABASE/USE gave.
 */
export function adjustLine(text: string, whole: boolean, database: string | undefined): LineAdjustment | undefined {
  if (whole) {
    for (const [re, statement] of [[CREATE_DB, 'CREATE DATABASE'], [USE_DB, 'USE'], [DROP_DB, 'DROP DATABASE']] as const) {
      const named = re.exec(text);
      if (!named) continue;
      const name = unquote(named[1]!);
      if (database !== undefined && name !== database) return { refuse: `names a second database ${JSON.stringify(name)} after ${JSON.stringify(database)}; export one database at a time` };
      return { drop: `${statement} \`${name}\``, database: name };
    }
    if (REPLICATION.test(text)) return { drop: 'replication setting' };
  }
  if (!SCHEMA_LINE.test(text)) return undefined;
  const notes: string[] = [];
  let head = text;
  if (DEFINER.test(head)) {
    head = head.replace(DEFINER, 'DEFINER=CURRENT_USER');
    notes.push('DEFINER set to the site user');
  }
  MYSQL8_COLLATION.lastIndex = 0;
  if (MYSQL8_COLLATION.test(head)) {
    head = head.replace(MYSQL8_COLLATION, (c) => (c.endsWith('_bin') || c.endsWith('_as_cs') ? 'utf8mb4_bin' : 'utf8mb4_unicode_520_ci'));
    notes.push('MySQL 8 collation mapped');
  }
  DEFINER.lastIndex = 0;
  return notes.length ? { head, note: notes.join(', ') } : undefined;
}

/**
 * The load's side of {@link adjustLine}: drops and rewrites line heads as the dump streams into
 * the client, passing every other byte through untouched.
 */
export class DumpFilter extends Transform {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The current line's head was already decided and sent on: the rest streams through. */
  private passing = false;
  private dropping = false;
  private database: string | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl === -1 ? chunk.length : nl + 1;
      const piece = chunk.subarray(pos, end);
      if (this.passing) {
        if (!this.dropping) this.push(piece);
      } else {
        this.pending.push(piece);
        this.pendingBytes += piece.length;
        if (nl !== -1 || this.pendingBytes > HEAD) this.decide(nl !== -1);
      }
      if (nl !== -1) this.passing = this.dropping = false;
      pos = end;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length) this.decide(true);
    callback();
  }

  private decide(lineEnded: boolean): void {
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    const content = lineEnded ? line.length - 1 : line.length;
    const raw = line.toString('latin1', 0, Math.min(content, HEAD));
    const text = raw.replace(/^\s+/, '');
    const lead = raw.length - text.length;
    const a = adjustLine(text, lineEnded && content < HEAD, this.database);
    this.passing = !lineEnded;
    if (a && 'drop' in a) {
      this.database ??= a.database;
      this.dropping = !lineEnded;
      return;
    }
    // A line inspection refused never gets here: the migration stopped before anything was created.
    if (a && 'head' in a) {
      this.push(Buffer.concat([line.subarray(0, lead), Buffer.from(a.head, 'latin1'), line.subarray(raw.length)]));
      return;
    }
    this.push(line);
  }
}
