import { gzipSync } from 'node:zlib';
import { ArchiveInspector, confined, SourceRefused } from '../../src/migrate/archive';
import { InflationGuard } from '../../src/migrate/bomb';
import { DumpInspector } from '../../src/migrate/dump';
import { urlRewritePlan } from '../../src/migrate/urls';
import { compressionOf, migrateSiteInputSchema } from '../../src/migrate/input';
import { parseInput } from '../../src/site/validate';
import { tarEntry, tarOf } from '../helpers/tar';


function inspect(archive: Buffer, chunk = 700) {
  const a = new ArchiveInspector({ maxBytes: 1024 * 1024, maxEntries: 100 });
  for (let i = 0; i < archive.length; i += chunk) a.feed(archive.subarray(i, i + chunk));
  return a.result();
}

function refusal(fn: () => unknown): SourceRefused {
  try {
    fn();
  } catch (err) {
    if (err instanceof SourceRefused) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('files archive inspection', () => {
  it('accepts a site archive and counts files and bytes, in any chunking', () => {
    const a = tarOf(tarEntry('./', { type: '5' }), tarEntry('./uploads/', { type: '5' }), tarEntry('./uploads/a.txt', { data: 'hello' }), tarEntry('./uploads/b', { type: '1', link: './uploads/a.txt' }), tarEntry('./uploads/l', { type: '2', link: 'a.txt' }));
    for (const chunk of [1, 511, 512, 700, 100_000]) {
      expect(inspect(a, chunk)).toEqual({ entries: 5, files: 1, fileBytes: 5, tarBytes: a.length, stripComponents: 0, complete: true });
    }
  });

  it('strips a wp-content/ top level', () => {
    expect(inspect(tarOf(tarEntry('wp-content/', { type: '5' }), tarEntry('wp-content/x', { data: 'x' }))).stripComponents).toBe(1);
  });

  it.each([
    ['path traversal', tarEntry('uploads/../../etc/cron.d/x', { data: 'x' }), 'uploads/../../etc/cron.d/x', "'..'"],
    ['absolute path', tarEntry('/etc/passwd', { data: 'x' }), '/etc/passwd', 'absolute path'],
    ['symlink escaping', tarEntry('up', { type: '2', link: '../../..' }), 'up', 'leaves the target'],
    ['absolute symlink', tarEntry('up', { type: '2', link: '/etc' }), 'up', 'absolute path'],
    ['hardlink to a host file', tarEntry('pw', { type: '1', link: '/etc/shadow' }), 'pw', 'hardlink'],
    ['hardlink to a missing entry', tarEntry('pw', { type: '1', link: 'nothing' }), 'pw', 'hardlink'],
    ['character device', tarEntry('dev/null', { type: '3' }), 'dev/null', 'character device'],
    ['block device', tarEntry('sda', { type: '4' }), 'sda', 'block device'],
    ['FIFO', tarEntry('pipe', { type: '6' }), 'pipe', 'FIFO'],
  ])('refuses %s, naming the entry', (_what, bad, name, reason) => {
    const err = refusal(() => inspect(tarOf(tarEntry('ok.txt', { data: 'ok' }), bad)));
    expect(err.entry).toBe(name);
    expect(err.message).toContain(reason);
    expect(err.message).toContain(JSON.stringify(name));
  });

  it('allows absolute symlinks into the platform code only', () => {
    const a = new ArchiveInspector({ maxBytes: 1e6, maxEntries: 10, linkPrefixes: ['/usr/share/wordpress/wp-content/'] });
    a.feed(tarOf(tarEntry('./themes/t22', { type: '2', link: '/usr/share/wordpress/wp-content/themes/t22' })));
    expect(a.result().entries).toBe(1);
    const b = new ArchiveInspector({ maxBytes: 1e6, maxEntries: 10, linkPrefixes: ['/usr/share/wordpress/wp-content/'] });
    expect(refusal(() => b.feed(tarOf(tarEntry('x', { type: '2', link: '/usr/share/wordpress/wp-content/../../../../etc' })))).reason).toContain('absolute path');
  });

  it('refuses a write through a symlink the archive made (even an inside one)', () => {
    const err = refusal(() => inspect(tarOf(tarEntry('d', { type: '2', link: '.' }), tarEntry('d/x', { data: 'x' }))));
    expect(err.entry).toBe('d/x');
    expect(err.reason).toContain('through the symlink');
  });

  it('reads GNU long names, so a long traversal cannot hide', () => {
    const long = `${'a/'.repeat(60)}../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../../etc/x`;
    const err = refusal(() => inspect(tarOf(tarEntry('././@LongLink', { type: 'L', data: `${long}\0` }), tarEntry('short', { data: 'x' }))));
    expect(err.entry).toBe(long);
  });

  it('reads pax paths', () => {
    const rec = (k: string, v: string) => {
      let len = k.length + v.length + 3;
      len += String(len).length;
      if (String(len).length !== String(len - String(len).length).length) len += 1;
      return `${len} ${k}=${v}\n`;
    };
    const err = refusal(() => inspect(tarOf(tarEntry('PaxHeader/x', { type: 'x', data: rec('path', '/root/.ssh/authorized_keys') }), tarEntry('x', { data: 'k' }))));
    expect(err.entry).toBe('/root/.ssh/authorized_keys');
  });

  it('refuses more than the size and entry limits, and garbage', () => {
    expect(refusal(() => inspect(tarOf(tarEntry('big', { data: 'x'.repeat(2 * 1024 * 1024) })))).reason).toContain('larger than');
    expect(refusal(() => inspect(Buffer.from('this is not a tar archive'.padEnd(1024, '!')))).reason).toContain('checksum');
  });

  it('confines names', () => {
    expect(confined('./a//b/')).toBe('a/b');
    expect(confined('.')).toBe('.');
    expect(confined('a/../b')).toBeUndefined();
    expect(confined('/a')).toBeUndefined();
  });
});

describe('decompression bombs', () => {
  it('stops a gzip that inflates beyond the ratio', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const guard = new InflationGuard('files', { maxBytes: 1e12, maxRatio: 200, ratioAfterBytes: 8 * 1024 * 1024 });
    guard.sawCompressed(bomb.length);
    expect(() => guard.sawDecompressed(50 * 1024 * 1024)).toThrow(/decompression bomb/);
  });

  it('lets a normal ratio pass and stops beyond the size limit', () => {
    const guard = new InflationGuard('db', { maxBytes: 100, maxRatio: 200, ratioAfterBytes: 10 });
    guard.sawCompressed(10);
    expect(() => guard.sawDecompressed(60)).not.toThrow();
    expect(() => guard.sawDecompressed(60)).toThrow(/more than 100 bytes/);
  });
});

describe('dump inspection', () => {
  const dump = (...lines: string[]) => {
    const d = new DumpInspector();
    d.feed(Buffer.from(lines.join('\n') + '\n'));
    return d.result();
  };
  const header = ['-- MariaDB dump 10.19', '/*!40101 SET NAMES utf8mb4 */;'];

  it('counts the tables of a one-database dump', () => {
    const r = dump(...header, 'DROP TABLE IF EXISTS `wp_options`;', 'CREATE TABLE `wp_options` (', '  `option_id` bigint', ');', 'INSERT INTO `wp_options` VALUES', "(1,'siteurl','http://a.example','yes');", 'CREATE TABLE `wp_posts` (', ');');
    expect(r.tables).toEqual(['wp_options', 'wp_posts']);
  });

  it.each([
    ['USE `other`; DROP TABLE `wp_users`;', 'switches databases'],
    ['CREATE DATABASE `x`; CREATE TABLE `y` (a int);', 'creates a database'],
    ["GRANT ALL ON *.* TO 'x'@'%';", 'privileges'],
    ["CREATE USER 'x'@'%';", 'manages users'],
    ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t;", 'loads files'],
    ['SET GLOBAL general_log = 1;', 'server-wide'],
    ['CREATE TABLE `tutti`.`sites` (', 'named database'],
  ])('refuses %s naming the line', (line, reason) => {
    const err = refusal(() => dump(...header, 'CREATE TABLE `t` (', ');', line));
    expect(err.entry).toBe('line 5');
    expect(err.reason).toContain(reason);
  });

  it('refuses binary, compressed and table-less input', () => {
    expect(refusal(() => dump('\u0000\u0001binary')).reason).toContain('NUL');
    expect(refusal(() => new DumpInspector().feed(gzipSync('CREATE TABLE x'))).reason).toContain('compressed');
    expect(refusal(() => dump('hello world')).reason).toContain('does not start like a SQL dump');
    expect(refusal(() => dump(...header, 'INSERT INTO `t` VALUES (1);')).reason).toContain('no CREATE TABLE');
  });
});

describe('migration input and URL plans', () => {
  const base = { domains: ['moved.example'], source: { db: { path: '/srv/in/db.sql.gz' }, files: { path: '/srv/in/files.tar' } } };

  it('accepts sources by path, s3 and loopback URL; refuses others naming the field', () => {
    expect(parseInput(migrateSiteInputSchema, base).remindAfterSeconds).toBe(86_400);
    expect(() => parseInput(migrateSiteInputSchema, { ...base, source: { ...base.source, db: { url: 'http://10.0.0.1/db.sql' } } })).toThrow(/source\.db/);
    expect(() => parseInput(migrateSiteInputSchema, { ...base, source: { ...base.source, db: { path: 'relative.sql' } } })).toThrow(/source\.db/);
    expect(() => parseInput(migrateSiteInputSchema, { ...base, source: { ...base.source, files: { path: '/srv/../etc/x.tar' } } })).toThrow(/source\.files/);
    expect(() => parseInput(migrateSiteInputSchema, { ...base, remindAfterSeconds: 10, autoRejectAfterSeconds: 5 })).toThrow(/remindAfterSeconds/);
    expect(parseInput(migrateSiteInputSchema, { ...base, source: { db: { s3: 's3://bucket/a/db.sql.zst' }, files: { url: 'http://127.0.0.1:8000/f.tgz' } } }).source.db).toEqual({ s3: 's3://bucket/a/db.sql.zst' });
  });

  it('detects compression by name', () => {
    expect(compressionOf({ path: '/a/db.sql.gz' })).toBe('gzip');
    expect(compressionOf({ s3: 's3://b/db.sql.zst' })).toBe('zstd');
    expect(compressionOf({ url: 'http://127.0.0.1/f.tar?x=1' })).toBe('none');
  });

  it('plans replacements of both schemes, longest first, never the target itself', () => {
    expect(urlRewritePlan(['http://old.example/', 'http://old.example/blog'], 'http://new.example')).toEqual([
      { from: 'https://old.example/blog', to: 'http://new.example' },
      { from: 'http://old.example/blog', to: 'http://new.example' },
      { from: 'https://old.example', to: 'http://new.example' },
      { from: 'http://old.example', to: 'http://new.example' },
    ]);
    expect(urlRewritePlan(['http://new.example'], 'http://new.example/')).toEqual([{ from: 'https://new.example', to: 'http://new.example' }]);
    expect(urlRewritePlan(['', 'not a url'], 'http://n.example')).toEqual([]);
  });
});
