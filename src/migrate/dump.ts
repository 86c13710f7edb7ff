import { SourceRefused } from './archive';
import { adjustLine, HEAD } from './dumpAdjust';

export interface DumpSummary {
  bytes: number;
  /** Base tables the dump creates, in order. */
  tables: string[];
  views: number;
  lines: number;
  /** The one database the dump names in CREATE DATABASE / USE, if it names one. */
  database?: string;
  /** Statements the load leaves out (`line 20: USE \`shop\``), the first few. */
  dropped: string[];
  /** Line heads the load rewrites, counted by what it does (`DEFINER set to the site user`: 3). */
  rewritten: Record<string, number>;
}

/** Statements a site's dump has no business running: they act beyond one database or on the server. */
const FORBIDDEN: [RegExp, string][] = [
  [/^USE\s/i, 'switches databases in a way that cannot be left out (made with --all-databases?); export one database'],
  [/^CREATE\s+(DATABASE|SCHEMA)\b/i, 'creates a database in a way that cannot be left out; export one database'],
  [/^(\/\*!\d+\s+)?DROP\s+(DATABASE|SCHEMA)\b/i, 'drops a database in a way that cannot be left out; export one database'],
  [/^(\/\*!\d+\s+)?(GRANT|REVOKE)\s/i, 'changes privileges'],
  [/^(CREATE|DROP|ALTER|RENAME)\s+USER\b/i, 'manages users'],
  [/^(INSTALL|UNINSTALL)\s+(PLUGIN|SONAME)\b/i, 'installs server plugins'],
  [/^LOAD\s+(DATA|XML)\b/i, 'loads files from the server'],
  [/^SET\s+(GLOBAL|@@GLOBAL)\b/i, 'changes server-wide settings'],
  [/^(CHANGE\s+MASTER|START\s+SLAVE|STOP\s+SLAVE|SHUTDOWN)\b/i, 'controls the server'],
];


/**
 * Checks, as a dump streams past, that it is plausibly the SQL dump of one database (mysqldump,
 * mariadb-dump, `drush sql-dump`): text, SQL statements from the first line, at least one
 * CREATE TABLE, nothing that switches or creates databases, touches users or privileges, or acts
 * on the server. Throws {@link SourceRefused} naming the line.
 */
export class DumpInspector {
  private s: DumpSummary = { bytes: 0, tables: [], views: 0, lines: 0, dropped: [], rewritten: {} };
  private head = '';
  private headFull = false;
  private sawStatement = false;

  feed(chunk: Buffer): void {
    if (this.s.bytes === 0 && chunk.length >= 2 && ((chunk[0] === 0x1f && chunk[1] === 0x8b) || (chunk[0] === 0x28 && chunk[1] === 0xb5))) {
      throw new SourceRefused('db', undefined, 'is still compressed (name it .sql.gz or .sql.zst)');
    }
    this.s.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.headFull) {
        const piece = chunk.subarray(pos, Math.min(end, pos + HEAD - this.head.length));
        if (this.s.bytes <= 65_536 && piece.includes(0)) throw new SourceRefused('db', `line ${this.s.lines + 1}`, 'contains NUL bytes: not a SQL text dump');
        this.head += piece.toString('latin1');
        if (this.head.length >= HEAD) this.headFull = true;
      }
      if (nl === -1) break;
      this.line();
      pos = nl + 1;
    }
  }

  /** Call at the end of the stream. */
  result(): DumpSummary {
    if (this.head.length) this.line();
    if (!this.s.tables.length) throw new SourceRefused('db', undefined, 'holds no CREATE TABLE: not a dump of a site database (schema and data are both needed)');
    return { ...this.s, tables: [...this.s.tables], dropped: [...this.s.dropped], rewritten: { ...this.s.rewritten } };
  }

  private line(): void {
    this.s.lines += 1;
    const text = this.head.replace(/^\s+/, '');
    const whole = !this.headFull;
    this.head = '';
    this.headFull = false;
    if (text === '' || text.startsWith('--') || text.startsWith('#')) return;
    if (!this.sawStatement) {
      this.sawStatement = true;
      if (!/^(\/\*|SET\s|DROP\s|CREATE\s|LOCK\s|INSERT\s|UNLOCK\s|START\s|BEGIN|COMMIT|DELIMITER\s|SELECT\s)/i.test(text)) {
        throw new SourceRefused('db', `line ${this.s.lines}`, `does not start like a SQL dump (${JSON.stringify(text.slice(0, 40))})`);
      }
    }
    const adjusted = adjustLine(text, whole, this.s.database);
    if (adjusted && 'refuse' in adjusted) throw new SourceRefused('db', `line ${this.s.lines}`, adjusted.refuse);
    if (adjusted && 'drop' in adjusted) {
      this.s.database ??= adjusted.database;
      if (this.s.dropped.length < 20) this.s.dropped.push(`line ${this.s.lines}: ${adjusted.drop}`);
      return;
    }
    if (adjusted) this.s.rewritten[adjusted.note] = (this.s.rewritten[adjusted.note] ?? 0) + 1;
    for (const [re, why] of FORBIDDEN) if (re.test(text)) throw new SourceRefused('db', `line ${this.s.lines}`, `${why} (${JSON.stringify(text.slice(0, 60))})`);
    const table = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`((?:[^`]|``)+)`(\s*\.\s*`)?/i.exec(text);
    if (table) {
      if (table[2]) throw new SourceRefused('db', `line ${this.s.lines}`, 'creates a table in a named database; export one database without database-qualified names');
      this.s.tables.push(table[1]!.replace(/``/g, '`'));
    }
    if (/^(\/\*!\d+\s+)?(CREATE\s+)?(ALGORITHM=\S+\s+)?(\/\*!\d+\s+)?(DEFINER=\S+\s+)?(\/\*!\d+\s+)?(SQL\s+SECURITY\s+\w+\s+)?(\*\/\s*)?VIEW\s/i.test(text)) this.s.views += 1;
  }
}
