import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `sh -c script` in the host's MariaDB container; the database name is passed as $1, never spliced into the script. */
export async function inMariadb(container: string, script: string, database: string): Promise<string> {
  const { stdout } = await run('docker', ['exec', container, 'sh', '-c', script, 'sh', database], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** Rows of about 400 dump bytes each, half text and half hashes: dumps compress about 3× like a real site's. */
const ROW_BYTES = 400;
const BATCH = 250_000;

/**
 * Fills `database` with a generated table of about `mb` MB of dump, in the MariaDB container
 * (Sequence engine, no data through the client), in batches so no transaction grows huge.
 */
export async function generate(container: string, database: string, mb: number, say: (line: string) => void): Promise<number> {
  const rows = Math.ceil((mb * 1_048_576) / ROW_BYTES);
  await inMariadb(
    container,
    'mariadb -e "CREATE TABLE IF NOT EXISTS bench_rows (id BIGINT PRIMARY KEY, ref CHAR(64) NOT NULL, title VARCHAR(200) NOT NULL, body TEXT NOT NULL, n INT NOT NULL, at DATETIME NOT NULL, KEY by_n (n)) ENGINE=InnoDB" -- "$1"',
    database,
  );
  for (let from = 1; from <= rows; from += BATCH) {
    const to = Math.min(rows, from + BATCH - 1);
    await inMariadb(
      container,
      `mariadb -e "INSERT INTO bench_rows SELECT seq, SHA2(seq, 256), CONCAT('Concert programme ', seq, ' of the ', ELT(1 + seq % 5, 'Bach', 'Handel', 'Purcell', 'Schutz', 'Monteverdi'), ' society'), CONCAT_WS(' ', MD5(seq), 'rehearsal notes for bar', seq * 7, REPEAT('la ', 1 + seq % 40), SHA1(seq), MD5(seq * 3)), seq % 1000, '2020-01-01' + INTERVAL (seq % 1000000) MINUTE FROM seq_${from}_to_${to}" -- "$1"`,
      database,
    );
    say(`  generated ${to} of ${rows} rows`);
  }
  return rows;
}

const DUMP_OPTIONS = 'mariadb-dump --single-transaction --routines --triggers --events --hex-blob --default-character-set=utf8mb4';
const DUMP = `${DUMP_OPTIONS} -- "$1"`;

/** The two halves of the generated table, one per core: what two dump or load streams buy on this machine. */
const HALVES = [0, 1].map((i) => `--where='id % 2 = ${i}'`);

/** The baseline for a backup: the same dump, to /dev/null, in the container. */
export async function baselineDump(container: string, database: string): Promise<number> {
  return (await timed(() => inMariadb(container, `${DUMP} > /dev/null`, database))).seconds;
}

/**
 * The baseline for a restore: `mariadb <db> < dump.sql` from a file in the container (the file
 * is written first, untimed, and removed after). Returns the load time and the dump's size.
 */
export async function baselineLoad(container: string, database: string): Promise<{ seconds: number; dumpBytes: number }> {
  const scratch = `${database}__bench`;
  await inMariadb(container, `${DUMP} > /tmp/bench-dump.sql`, database);
  const dumpBytes = Number((await inMariadb(container, 'stat -c %s /tmp/bench-dump.sql', database)).trim());
  await inMariadb(container, 'mariadb -e "DROP DATABASE IF EXISTS \\`$1\\`; CREATE DATABASE \\`$1\\`"', scratch);
  try {
    const { seconds } = await timed(() => inMariadb(container, 'mariadb -- "$1" < /tmp/bench-dump.sql', scratch));
    return { seconds, dumpBytes };
  } finally {
    await inMariadb(container, 'mariadb -e "DROP DATABASE IF EXISTS \\`$1\\`"; rm -f /tmp/bench-dump.sql', scratch);
  }
}

/**
 * A parallel baseline for a backup: the generated table dumped as two streams at once (odd and
 * even ids, each its own mariadb-dump), to /dev/null. Only the generated table: the site's own
 * tables are well under 1 % of the data. The bench writes nothing meanwhile, so two transactions
 * see what one snapshot would.
 */
export async function baselineParallelDump(container: string, database: string): Promise<number> {
  return (await timed(() => Promise.all(HALVES.map((where) => inMariadb(container, `${DUMP_OPTIONS} --skip-triggers ${where} -- "$1" bench_rows > /dev/null`, database))))).seconds;
}

/**
 * A parallel baseline for a restore: the table's schema loaded first (untimed), then the two
 * halves' rows loaded at once by two `mariadb` clients from files in the container.
 */
export async function baselineParallelLoad(container: string, database: string): Promise<number> {
  const scratch = `${database}__benchp`;
  await inMariadb(container, `${DUMP_OPTIONS} --no-data -- "$1" bench_rows > /tmp/bench-schema.sql`, database);
  for (const [i, where] of HALVES.entries()) await inMariadb(container, `${DUMP_OPTIONS} --no-create-info --skip-triggers ${where} -- "$1" bench_rows > /tmp/bench-half${i}.sql`, database);
  await inMariadb(container, 'mariadb -e "DROP DATABASE IF EXISTS \\`$1\\`; CREATE DATABASE \\`$1\\`" && mariadb -- "$1" < /tmp/bench-schema.sql', scratch);
  try {
    return (await timed(() => Promise.all(HALVES.map((_, i) => inMariadb(container, `mariadb -- "$1" < /tmp/bench-half${i}.sql`, scratch))))).seconds;
  } finally {
    await inMariadb(container, 'mariadb -e "DROP DATABASE IF EXISTS \\`$1\\`"; rm -f /tmp/bench-schema.sql /tmp/bench-half0.sql /tmp/bench-half1.sql', scratch);
  }
}
