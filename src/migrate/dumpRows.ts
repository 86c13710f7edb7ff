/** Longest match a pattern may need across a chunk boundary: an INSERT head with a 64-character table name, or a version row. */
const CARRY = 256;
const INSERT = /INSERT\s+(?:IGNORE\s+)?INTO\s+`((?:[^`]|``){1,64})`/gi;

/**
 * Finds values in the rows of a dump as it streams past, whatever the dialect: mysqldump's
 * one-line extended inserts and phpMyAdmin's one row per line both put the rows after their
 * `INSERT INTO \`table\``, so each match belongs to the table of the INSERT before it.
 */
export class DumpRowScanner {
  private tail = '';
  private table: string | undefined;
  private readonly found = new Map<string, string[]>();

  constructor(private readonly row: RegExp) {}

  feed(chunk: Buffer): void {
    const text = this.tail + chunk.toString('latin1');
    const fresh = this.tail.length;
    const events: { at: number; end: number; table?: string; value?: string }[] = [];
    for (const m of text.matchAll(INSERT)) events.push({ at: m.index, end: m.index + m[0].length, table: m[1]!.replace(/``/g, '`') });
    for (const m of text.matchAll(new RegExp(this.row.source, 'g'))) events.push({ at: m.index, end: m.index + m[0].length, value: m.slice(1).find((g) => g !== undefined) });
    events.sort((a, b) => a.at - b.at);
    for (const e of events) {
      // A match that ended inside the carried tail was seen with the previous chunk.
      if (e.end <= fresh) continue;
      if (e.table !== undefined) this.table = e.table;
      else if (this.table !== undefined && e.value !== undefined) this.found.set(this.table, [...(this.found.get(this.table) ?? []), e.value]);
    }
    this.tail = text.slice(-CARRY);
  }

  /** The first value found in the rows of `table`. */
  valueIn(table: string): string | undefined {
    return this.found.get(table)?.[0];
  }

  /** Every value found in the rows of `table`, in dump order. */
  valuesIn(table: string): string[] {
    return this.found.get(table) ?? [];
  }
}
