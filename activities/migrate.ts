import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RowDataPacket } from 'mysql2/promise';
import { Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveInspector, codeLinkPrefixes, DEFAULT_ARCHIVE_LIMITS, SourceRefused } from '../src/migrate/archive';
import { DumpInspector } from '../src/migrate/dump';
import { DumpFilter } from '../src/migrate/dumpAdjust';
import { DumpRowScanner } from '../src/migrate/dumpRows';
import { tablePrefixOf } from '../src/site/platformDumps';
import { describeSource } from '../src/migrate/input';
import { urlRewritePlan } from '../src/migrate/urls';
import { emptyDir, exec, execOk, tailOf } from '../src/infra/dockerExec';
import { execPipe, type ExecPipe } from '../src/infra/execPipe';
import { withJobContainer } from '../src/infra/jobContainer';
import { dropDatabase, ensureDatabase, quoteId } from '../src/infra/mariadb';
import { HashCounter, Tap } from '../src/infra/streams';
import { FailureType } from '../src/site/errors';
import { platformNames, siteLabels, siteNames } from '../src/site/names';
import { profileOf } from '../src/site/platforms';
import type { SiteSpec } from '../src/site/spec';
import type { MigrationSource, Platform } from '../src/site/validate';
import { transfer } from './backupProgress';
import type { ActivityDeps } from './deps';
import { classified } from './failures';
import { createDumpFit } from './dumpFit';
import { decompressStages, openSource } from './migrateSources';

export interface SourceCheck {
  bytes: number;
  sha256: string;
}
export interface InspectedSources {
  db: SourceCheck & {
    tables: number;
    views: number;
    /** The installation's table prefix (WordPress: `wp_`, `shop7_`); absent for a platform that reads none. */
    tablePrefix?: string;
    /** The schema version stored in the dump (WordPress: db_version). */
    schemaVersion?: number;
    /** What the load leaves out or rewrites, for the operator to see (`line 20: USE \`shop\``, `DEFINER set to the site user ×3`). */
    adjusted: string[];
  };
  files: SourceCheck & { entries: number; files: number; fileBytes: number; stripComponents: number };
}

export interface ImportInput {
  slug: string;
  host: string;
  source: MigrationSource;
  /** What inspection saw: the import must read the very same bytes. */
  expected: SourceCheck;
}

/**
 * `from` → `to` that can run twice (a retry after a crash): occurrences of `to` are set aside
 * first, so `http://a.example` → `http://a.example.org` never becomes `….org.org`.
 */
const GUARDED_REPLACE = (column: string) => `REPLACE(REPLACE(REPLACE(${column}, ?, ?), ?, ?), ?, ?)`;
const URL_MARK = '\u0001tutti-url\u0001';
function guardedArgs(from: string, to: string): string[] {
  return [to, URL_MARK, from, to, URL_MARK, to];
}

/** Heartbeats every 2 s while `work` runs: steps like chown of a large volume or upgrade-db outlast the heartbeat timeout. */
function heartbeating<T>(step: string, work: Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat({ step }), 2_000);
  return work.finally(() => clearInterval(timer));
}

function refused(err: unknown): unknown {
  if (err instanceof SourceRefused) return ApplicationFailure.nonRetryable(err.message, FailureType.SourceRefused, { source: err.source, entry: err.entry, reason: err.reason });
  return err;
}

/**
 * Migration steps: read-only inspection of the sources (nothing is created before both pass),
 * then imports into the new site's database and volume, each re-checking every byte as it
 * passes, and the rewrite of the platform's stored URLs.
 */
export function createMigrateActivities(deps: ActivityDeps) {
  const { docker, cfg } = deps;
  const mariadb = platformNames(cfg.prefix).mariadbContainer;
  const fit = createDumpFit(deps);

  /** Streams a source through hash, decompression and `inspect` into `sink`; returns the source's size and hash. */
  async function streamSource(step: string, source: MigrationSource, kind: 'db' | 'files', inspect: (chunk: Buffer) => void, sink: Writable, filter?: Duplex): Promise<SourceCheck> {
    const opened = await openSource(source, deps.s3);
    const hash = new HashCounter();
    const stages = decompressStages(source, kind);
    const tap = new Tap(inspect);
    const chain = [opened.body, hash, ...stages, tap, ...(filter ? [filter] : []), sink] as (Readable | Duplex | Writable)[];
    const progress = transfer(step, () => hash.bytes, chain, opened.bytes);
    try {
      await pipeline(chain as unknown as [Readable, Writable]);
    } catch (err) {
      throw refused(progress.cancellation() ?? err);
    } finally {
      progress.stop();
    }
    return { bytes: hash.bytes, sha256: hash.sha256() };
  }

  const discard = () =>
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    });

  function sameBytes(what: string, expected: SourceCheck, got: SourceCheck): void {
    if (got.bytes !== expected.bytes || got.sha256 !== expected.sha256) {
      throw ApplicationFailure.nonRetryable(`${what} changed since it was inspected (${expected.bytes} → ${got.bytes} bytes); start the migration again`, FailureType.SourceRefused);
    }
  }

  /**
   * An import: the source streams (inspected again) into the stdin of `pipe`'s command, which then
   * must finish; the bytes must be the ones inspection saw. Returns the command's exit.
   */
  async function importInto(pipe: ExecPipe, input: ImportInput, kind: 'db' | 'files', inspect: (chunk: Buffer) => void, step: string, finishing: string, filter?: Duplex): Promise<{ exitCode: number; stderr: string }> {
    let got: SourceCheck;
    try {
      got = await streamSource(step, input.source, kind, inspect, pipe.stdin!, filter);
    } catch (err) {
      pipe.destroy();
      throw err;
    }
    const r = await heartbeating(finishing, pipe.done);
    sameBytes(`${kind === 'db' ? 'database dump' : 'files archive'} ${describeSource(input.source)}`, input.expected, got);
    return r;
  }

  return classified({
    /** The base of staging hostnames (`<slug>.<base>`), from TUTTI_STAGING_DOMAIN. */
    async stagingBase(): Promise<string> {
      return cfg.migrate.stagingDomain;
    },

    /**
     * Reads both sources end to end and refuses a hostile or unusable one; creates nothing. The
     * platform's dump profile finds the table prefix and the stored schema version, which must not
     * be newer than what `image`'s code knows.
     */
    async inspectMigrationSources(input: { db: MigrationSource; files: MigrationSource; platform: Platform; image?: string }): Promise<InspectedSources> {
      const profile = profileOf(input.platform).dump;
      const dump = new DumpInspector();
      const rows = profile ? new DumpRowScanner(profile.versionRow) : undefined;
      const db = await streamSource(`inspecting ${describeSource(input.db)}`, input.db, 'db', (c) => {
        dump.feed(c);
        rows?.feed(c);
      }, discard());
      let summary;
      try {
        summary = dump.result();
      } catch (err) {
        throw refused(err);
      }
      const adjusted = [...summary.dropped.map((d) => `left out ${d}`), ...Object.entries(summary.rewritten).map(([what, n]) => `${what} ×${n}`)];
      let tablePrefix: string | undefined;
      let schemaVersion: number | undefined;
      if (profile) {
        const p = tablePrefixOf(profile, summary.tables);
        if ('refused' in p) throw ApplicationFailure.nonRetryable(`database dump refused: ${p.refused}`, FailureType.SourceRefused);
        // A platform whose images take no prefix has none to carry into the site's spec.
        tablePrefix = profile.noPrefix ? undefined : p.prefix;
        const values = rows!.valuesIn(`${p.prefix}${profile.versionTable}`);
        schemaVersion = profile.schemaOf ? profile.schemaOf(values) : values[0] === undefined ? undefined : Number(values[0]);
        if (schemaVersion !== undefined && input.image) await fit.requireFits(profile, input.image, schemaVersion);
      }
      const archive = new ArchiveInspector({ ...DEFAULT_ARCHIVE_LIMITS, linkPrefixes: codeLinkPrefixes(input.platform) });
      const files = await streamSource(`inspecting ${describeSource(input.files)}`, input.files, 'files', (c) => archive.feed(c), discard());
      const a = archive.result();
      if (!a.complete) throw ApplicationFailure.nonRetryable(`files archive refused: it ends without its end-of-archive blocks (truncated?)`, FailureType.SourceRefused);
      return { db: { ...db, tables: summary.tables.length, views: summary.views, tablePrefix, schemaVersion, adjusted }, files: { ...files, entries: a.entries, files: a.files, fileBytes: a.fileBytes, stripComponents: a.stripComponents } };
    },

    /** Production domains another site holds already: a migration must not wait days for a cutover that cannot happen. */
    async domainsTaken(domains: string[], slug: string): Promise<string[]> {
      const [rows] = await deps.db().query<RowDataPacket[]>('SELECT domain FROM tutti.domains WHERE domain IN (?) AND slug <> ?', [domains, slug]);
      return rows.map((r) => String(r.domain));
    },

    /**
     * Loads the dump into the site's (emptied) database as the site's own user, so a statement
     * that slipped past inspection can reach nothing but that database.
     */
    async importDatabase(input: ImportInput): Promise<{ database: string; tables: number; rows: number }> {
      const n = siteNames(cfg.prefix, input.slug);
      const database = n.databaseOf(1);
      const password = await deps.secrets.read(`${n.secretsDir}/db_password`);
      if (!password) throw ApplicationFailure.nonRetryable(`site ${input.slug} has no DB password; run ensureSiteSecrets first`, FailureType.InvalidInput);
      const cnf = `/tmp/tutti-migrate-${input.slug}.cnf`;
      await stopLoader(cnf);
      await dropDatabase(deps.db(), database);
      await ensureDatabase(deps.db(), database);
      // The password reaches the client through a 0600 file written from stdin: never argv or env.
      const put = await execPipe(docker, mariadb, ['install', '-m', '0600', '/dev/stdin', cnf], { stdin: true });
      put.stdout.resume();
      put.stdin!.end(`[client]\nuser=${n.dbUser}\npassword=${password}\nhost=127.0.0.1\nprotocol=TCP\n`);
      if ((await put.done).exitCode !== 0) throw new Error(`could not write the loader's option file in ${mariadb}`);
      try {
        const pipe = await execPipe(docker, mariadb, ['mariadb', `--defaults-extra-file=${cnf}`, '--default-character-set=utf8mb4', '--', database], { stdin: true });
        pipe.stdout.resume();
        const dump = new DumpInspector();
        const r = await importInto(pipe, input, 'db', (c) => dump.feed(c), `loading ${describeSource(input.source)} into ${database}`, `finishing the load into ${database}`, new DumpFilter());
        if (r.exitCode !== 0) {
          throw ApplicationFailure.nonRetryable(`loading ${describeSource(input.source)} into ${database} failed (mariadb exited ${r.exitCode}): ${tailOf(r.stderr, 2)}`, FailureType.SourceRefused);
        }
      } finally {
        await stopLoader(cnf).catch(() => undefined);
        await exec(docker, mariadb, ['rm', '-f', cnf]).catch(() => undefined);
      }
      const [tables] = await deps.db().query<RowDataPacket[]>("SELECT COUNT(*) AS n, COALESCE(SUM(TABLE_ROWS), 0) AS r FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [database]);
      return { database, tables: Number(tables[0]?.n ?? 0), rows: Number(tables[0]?.r ?? 0) };
    },

    /** Extracts the archive into the site's emptied files volume in a job container that sees nothing else; owner becomes the web server. */
    async importFiles(input: ImportInput & { stripComponents: number; platform: Platform }): Promise<{ volume: string; entries: number; bytes: number }> {
      const volume = siteNames(cfg.prefix, input.slug).filesVolumeOf(1);
      const job = { name: `${cfg.prefix}-site-${input.slug}-job-migrate`, image: cfg.mariadb.image, labels: siteLabels(cfg.prefix, input.slug, 'job', input.host), binds: [`${volume}:/files`] };
      return withJobContainer(docker, job, { prefix: cfg.prefix, site: input.slug }, async (container) => {
        await emptyDir(docker, container, '/files');
        const argv = ['tar', '-x', '-f', '-', '-C', '/files', '--no-same-owner', '--no-overwrite-dir', ...(input.stripComponents ? [`--strip-components=${input.stripComponents}`] : [])];
        const pipe = await execPipe(docker, container, argv, { stdin: true });
        pipe.stdout.resume();
        const archive = new ArchiveInspector({ ...DEFAULT_ARCHIVE_LIMITS, linkPrefixes: codeLinkPrefixes(input.platform) });
        const r = await importInto(pipe, input, 'files', (c) => archive.feed(c), `extracting ${describeSource(input.source)} into ${volume}`, `finishing the extraction into ${volume}`);
        if (r.exitCode !== 0) throw ApplicationFailure.nonRetryable(`extracting ${describeSource(input.source)} failed (tar exited ${r.exitCode}): ${tailOf(r.stderr, 2)}`, FailureType.SourceRefused);
        const found = await heartbeating(`giving ${volume} to the web server`, (async () => {
          await execOk(docker, container, ['chown', '-R', '-h', '33:33', '/files'], { timeoutMs: 3_600_000 });
          return (await execOk(docker, container, ['find', '/files', '-mindepth', '1', '-printf', '.'], { timeoutMs: 3_600_000 })).stdout.length;
        })());
        const bytes = Number((await heartbeating(`measuring ${volume}`, execOk(docker, container, ['du', '-sb', '/files'], { timeoutMs: 3_600_000 }))).stdout.split(/\s/)[0]);
        return { volume, entries: found, bytes };
      });
    },

    /**
     * Points the platform's stored URLs at `url`: WordPress `siteurl`/`home` (tutti-wp set-url), the
     * old URLs in posts, comments and plain (not serialized) options and meta; then the platform's
     * update commands. Returns the URLs replaced and the site's title, to look for on its pages.
     */
    async rewriteSiteUrls(input: { spec: SiteSpec; container: string; url: string }): Promise<{ replaced: string[]; title: string }> {
      const profile = profileOf(input.spec.platform);
      const database = quoteId(siteNames(cfg.prefix, input.spec.slug).databaseOf(1));
      const run = async (argv: string[]) => {
        const r = await heartbeating(argv.slice(0, 3).join(' '), exec(docker, input.container, argv, { user: profile.execUser, timeoutMs: 600_000 }));
        if (r.exitCode !== 0) throw ApplicationFailure.nonRetryable(`${argv.slice(0, 3).join(' ')} failed in ${input.container} (exit ${r.exitCode}): ${tailOf(`${r.stdout}\n${r.stderr}`, 3)}`, FailureType.CommandFailed);
      };
      if (input.spec.platform !== 'wordpress') {
        for (const argv of profile.update()) await run(argv);
        return { replaced: [], title: input.spec.title };
      }
      const t = (table: string) => `${database}.${quoteId(`${input.spec.tablePrefix ?? 'wp_'}${table}`)}`;
      const [opts] = await deps.db().query<RowDataPacket[]>(`SELECT option_name AS k, option_value AS v FROM ${t('options')} WHERE option_name IN ('siteurl', 'home', 'blogname')`);
      const get = (k: string) => String(opts.find((o) => o.k === k)?.v ?? '');
      const plan = urlRewritePlan([get('siteurl'), get('home')], input.url);
      for (const { from, to } of plan) {
        for (const [table, column] of [['posts', 'post_content'], ['posts', 'guid'], ['posts', 'post_excerpt'], ['comments', 'comment_content']] as const) {
          await deps.db().query(`UPDATE ${t(table)} SET ${column} = ${GUARDED_REPLACE(column)} WHERE ${column} LIKE ?`, [...guardedArgs(from, to), `%${from}%`]);
        }
        // Serialized PHP values store string lengths: a plain REPLACE would corrupt them, so they are left alone.
        for (const [table, column] of [['options', 'option_value'], ['postmeta', 'meta_value']] as const) {
          await deps.db().query(`UPDATE ${t(table)} SET ${column} = ${GUARDED_REPLACE(column)} WHERE ${column} LIKE ? AND ${column} NOT REGEXP '^[aOs]:[0-9]+:'`, [...guardedArgs(from, to), `%${from}%`]);
        }
      }
      await run(['php', '/usr/local/bin/tutti-wp', 'set-url', '--url', input.url]);
      for (const argv of profile.update()) await run(argv);
      return { replaced: plan.map((p) => p.from), title: get('blogname') || input.spec.title };
    },
  });

  /** Stops a loader a killed worker left running (found by its option file), so two loads never overlap. */
  async function stopLoader(cnf: string): Promise<void> {
    const { stdout } = await execOk(docker, mariadb, ['ps', '-eo', 'pid=,args=']);
    const pids = stdout
      .split('\n')
      .map((l) => /^\s*(\d+)\s+(\S+)\s+(\S+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[2]!.endsWith('mariadb') && m[3] === `--defaults-extra-file=${cnf}`)
      .map((m) => m[1]!);
    if (pids.length) await exec(docker, mariadb, ['kill', '-KILL', ...pids]);
  }
}

export type MigrateActivities = ReturnType<typeof createMigrateActivities>;
