import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { SourceRefused } from '../../src/migrate/archive';
import { DumpInspector } from '../../src/migrate/dump';
import { adjustLine, DumpFilter } from '../../src/migrate/dumpAdjust';
import { DumpRowScanner } from '../../src/migrate/dumpRows';
import { decodeEntities, pageShows, pageTitle } from '../../src/site/pageCheck';
import { tablePrefixOf, wordpressDump } from '../../src/site/platformDumps';

/** Feeds `input` in chunks of `size` bytes, so every boundary case of the line-wise scanners is crossed. */
function chunks(input: string, size: number): Buffer[] {
  const b = Buffer.from(input, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

const PHPMYADMIN = [
  '-- phpMyAdmin SQL Dump',
  'SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";',
  'CREATE DATABASE IF NOT EXISTS `shop_live` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;',
  'USE `shop_live`;',
  'CREATE TABLE `s7_options` (',
  '  `option_name` varchar(191) COLLATE utf8mb4_0900_ai_ci NOT NULL',
  ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;',
  'INSERT INTO `s7_options` (`option_id`, `option_name`, `option_value`, `autoload`) VALUES',
  "(1, 'siteurl', 'http://old.example', 'yes'),",
  "(2, 'db_version', '57155', 'yes');",
  'CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `s7_v` AS SELECT 1 AS `a`;',
  '',
].join('\n');

describe('dump dialects', () => {
  it('leaves out CREATE DATABASE / USE of the one database and says so; refuses a second one', () => {
    const d = new DumpInspector();
    for (const c of chunks(PHPMYADMIN, 37)) d.feed(c);
    const r = d.result();
    expect(r.database).toBe('shop_live');
    expect(r.dropped).toEqual(['line 3: CREATE DATABASE `shop_live`', 'line 4: USE `shop_live`']);
    expect(r.rewritten).toEqual({ 'MySQL 8 collation mapped': 2, 'DEFINER set to the site user': 1 });
    const second = new DumpInspector();
    let err: unknown;
    try {
      second.feed(Buffer.from(`${PHPMYADMIN}USE \`other\`;\n`));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceRefused);
    expect((err as SourceRefused).reason).toMatch(/second database "other"/);
  });

  it('the load drops and rewrites exactly those lines, whatever the chunking, and passes the rest byte for byte', async () => {
    for (const size of [1, 7, 64, 4096]) {
      const out = await text(Readable.from(chunks(PHPMYADMIN, size)).pipe(new DumpFilter()));
      expect(out).not.toMatch(/CREATE DATABASE|^USE/m);
      expect(out).toContain('DEFINER=CURRENT_USER SQL SECURITY DEFINER VIEW');
      expect(out).toContain('COLLATE=utf8mb4_unicode_520_ci;');
      expect(out).toContain("(2, 'db_version', '57155', 'yes');\n");
      expect(out.split('\n')).toHaveLength(PHPMYADMIN.split('\n').length - 2);
    }
    const long = `INSERT INTO \`t\` VALUES ('${'x'.repeat(5000)} DEFINER=\`a\`@\`b\` USE \`z\`;');\n`;
    expect(await text(Readable.from(chunks(long, 100)).pipe(new DumpFilter()))).toBe(long);
  });

  it('only whole short lines are dropped; data rows are never rewritten', () => {
    expect(adjustLine('USE `a`;', false, undefined)).toBeUndefined();
    expect(adjustLine("(3, 'x', 'DEFINER=`root`@`localhost`', 'no'),", true, undefined)).toBeUndefined();
    expect(adjustLine('SET @@GLOBAL.GTID_PURGED=/*!80000 \'+\'*/ \'3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5\';', true, undefined)).toEqual({ drop: 'replication setting' });
  });

  it('finds db_version in the options rows of either dialect across chunk boundaries, not in post content', () => {
    const mysqldump = "INSERT INTO `wp_posts` VALUES (1,'a,\\'db_version\\',\\'99999\\'');\nINSERT INTO `wp_options` VALUES (1,'siteurl','x','yes'),(9,'db_version','53496','yes');\n";
    for (const size of [3, 50, 1000]) {
      const s = new DumpRowScanner(wordpressDump.versionRow);
      for (const c of chunks(mysqldump + PHPMYADMIN, size)) s.feed(c);
      expect(s.valueIn('wp_options')).toBe('53496');
      expect(s.valueIn('s7_options')).toBe('57155');
      expect(s.valueIn('wp_posts')).toBeUndefined();
    }
  });

  it('reads the one installation’s table prefix; a multisite’s sub-sites are no second one', () => {
    const wp = (p: string) => ['options', 'posts', 'users', 'usermeta', 'comments'].map((t) => p + t);
    expect(tablePrefixOf(wordpressDump, wp('wp_'))).toEqual({ prefix: 'wp_' });
    expect(tablePrefixOf(wordpressDump, [...wp('Sh0p_'), 'Sh0p_2_options', 'Sh0p_2_posts'])).toEqual({ prefix: 'Sh0p_' });
    expect(tablePrefixOf(wordpressDump, [...wp('a_'), ...wp('b_')])).toEqual({ refused: expect.stringMatching(/2 WordPress installations \(table prefixes "a_", "b_"\)/) });
    expect(tablePrefixOf(wordpressDump, ['node', 'users'])).toEqual({ refused: expect.stringMatching(/no WordPress installation/) });
  });
});

describe('one escaping rule for titles', () => {
  it('compares decoded text: stored escaped, printed escaped, texturized, or plain', () => {
    expect(decodeEntities('WordPress &rsaquo; Error')).toBe('WordPress \u203a Error');
    expect(decodeEntities('Men&#039;s &amp; Women&#x27;s &lt;b&gt; &quot;Q&quot; &#8211; &bogus;')).toBe('Men\'s & Women\'s <b> "Q" – &bogus;');
    const page = '<html><head><title>Men&#039;s &amp; &quot;Boys&quot; &lt;Choir&gt; &#8211; Tenors &#x1F3B5;</title></head><body>…</body></html>';
    expect(pageTitle(page)).toBe('Men\'s & "Boys" <Choir> – Tenors 🎵');
    expect(pageShows(page, 'Men\'s & "Boys" <Choir>')).toBe(true);
    expect(pageShows(page, 'Men&#039;s &amp; &quot;Boys&quot; &lt;Choir&gt;')).toBe(true);
    expect(pageShows(page, 'Men&amp;#039;s')).toBe(false);
    expect(pageShows(page, 'Women')).toBe(false);
  });
});
