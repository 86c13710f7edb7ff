import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DumpFormatError, DumpScan, dumpProblems } from '../../src/backup/dumpScan';
import { TarFormatError, TarScan } from '../../src/backup/tarScan';

/** The shape of MariaDB 10.11's mariadb-dump output (abridged from a real dump). */
const DUMP = `/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
DROP TABLE IF EXISTS \`t1\`;
CREATE TABLE \`t1\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  PRIMARY KEY (\`id\`)
) ENGINE=InnoDB;
LOCK TABLES \`t1\` WRITE;
INSERT INTO \`t1\` VALUES
(1,'a(b)c',0x00FF),
(2,'it\\'s \\\\ (x',NULL),
(3,'line\\nbreak',0x78);
UNLOCK TABLES;
CREATE TABLE \`empty\` (
  \`id\` int(11) NOT NULL
) ENGINE=InnoDB;
CREATE TABLE \`odd\`\`name\` (
  \`id\` int(11) DEFAULT NULL
) ENGINE=InnoDB;
INSERT INTO \`odd\`\`name\` VALUES
(1),
(2);
INSERT INTO \`odd\`\`name\` VALUES
(3);
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`root\`@\`localhost\`*/ /*!50003 TRIGGER trg1 BEFORE INSERT ON t2 FOR EACH ROW SET NEW.n = NEW.n + 1
*/;;
DELIMITER ;
/*!50001 CREATE VIEW \`v1\` AS SELECT
 NULL AS \`id\` */;
DELIMITER ;;
/*!50106 CREATE*/ /*!50117 DEFINER=\`root\`@\`localhost\`*/ /*!50106 EVENT \`e1\` ON SCHEDULE EVERY 1 DAY DO DELETE FROM t2
*/ ;;
CREATE DEFINER=\`root\`@\`localhost\` FUNCTION \`f1\`() RETURNS int(11)
    DETERMINISTIC
RETURN 1
;;
CREATE DEFINER=\`site_user\`@\`%\` PROCEDURE \`p1\`()
BEGIN SELECT 1; END
;;
DELIMITER ;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=\`root\`@\`localhost\` SQL SECURITY DEFINER */
/*!50001 VIEW \`v1\` AS select \`t1\`.\`id\` AS \`id\` from \`t1\` */;

-- Dump completed on 2026-11-28  7:00:58
`;

function scan(text: string, chunkSize: number) {
  const s = new DumpScan();
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunkSize) s.feed(buf.subarray(i, i + chunkSize));
  return s.result();
}

describe('DumpScan', () => {
  const expected = { tables: 3, views: 1, triggers: 1, routines: 2, events: 1 };

  it.each([1, 7, 64, 1 << 20])('counts tables, views, triggers, routines, events and rows (chunks of %i bytes)', (chunk) => {
    const r = scan(DUMP, chunk);
    expect(r.counts).toEqual(expected);
    expect(r.rows).toEqual({ t1: 3, empty: 0, 'odd`name': 3 });
    expect(r.completed).toBe(true);
    expect(r.bytes).toBe(Buffer.byteLength(DUMP));
    expect(dumpProblems(r, expected)).toEqual([]);
  });

  it('a dump cut anywhere before its marker is not complete', () => {
    for (const cut of [10, DUMP.indexOf('(2,'), DUMP.indexOf('-- Dump completed') - 1, DUMP.length - 20]) {
      const r = scan(DUMP.slice(0, cut), 13);
      expect(r.completed).toBe(false);
      expect(dumpProblems(r, r.counts)[0]).toMatch(/stopped early/);
    }
  });

  it('a dump without its triggers and routines is detected against the server counts', () => {
    const stripped = DUMP.split('\n')
      .filter((l) => !/TRIGGER|PROCEDURE|FUNCTION/.test(l))
      .join('\n');
    const problems = dumpProblems(scan(stripped, 100), expected);
    expect(problems).toEqual(['the dump holds 0 triggers but the database has 1', 'the dump holds 0 routines but the database has 2']);
  });

  it('refuses a layout it cannot count rows in', () => {
    expect(() => scan("CREATE TABLE `t` (\n) ;\nINSERT INTO `t` VALUES (1),(2);\n", 5)).toThrow(DumpFormatError);
  });
});

describe('TarScan', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tarscan-'));
    mkdirSync(join(dir, 'uploads/2026/11'), { recursive: true });
    writeFileSync(join(dir, 'uploads/2026/11/a.jpg'), Buffer.alloc(1000, 1));
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, `${'long-name-'.repeat(20)}.txt`), 'x'.repeat(513));
    symlinkSync('/usr/share/wordpress/wp-content/themes/twentytwenty', join(dir, 'theme-link'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tarOf = (format: string) => execFileSync('tar', ['-C', dir, `--format=${format}`, '-cf', '-', '.']);

  it.each(['gnu', 'pax', 'ustar'])('counts entries and file bytes of a %s archive', (format) => {
    if (format === 'ustar') rmSync(join(dir, `${'long-name-'.repeat(20)}.txt`), { force: true });
    const tar = tarOf(format);
    const s = new TarScan();
    for (let i = 0; i < tar.length; i += 333) s.feed(tar.subarray(i, i + 333));
    const r = s.result();
    const files = format === 'ustar' ? 2 : 3;
    // ./, uploads, uploads/2026, uploads/2026/11, the files, the link
    expect(r).toEqual({ entries: 4 + files + 1, bytes: format === 'ustar' ? 1000 : 1513, complete: true });
  });

  it('a truncated archive is not complete; a corrupted header is refused', () => {
    const tar = tarOf('gnu');
    const cut = new TarScan();
    cut.feed(tar.subarray(0, 2048 + 100));
    expect(cut.result().complete).toBe(false);
    const flipped = Buffer.from(tar);
    flipped[512 * 1 + 10] ^= 0xff;
    const bad = new TarScan();
    expect(() => bad.feed(flipped)).toThrow(TarFormatError);
  });
});
