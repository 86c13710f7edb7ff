import { DumpRowScanner } from '../../src/migrate/dumpRows';
import { drupalCivicrmDump, drupalDump, drupalSchemaValue, tablePrefixOf } from '../../src/site/platformDumps';

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');

/** key_value rows as mariadb-dump --hex-blob writes them (Tutti's own backups) and as drush sql:dump does (plain strings). */
const HEX_DUMP = [
  'INSERT INTO `key_value` VALUES',
  `('post_update','existing_updates',0x${hex('a:1:{i:0;s:30:"system_post_update_add_langcode";}')}),`,
  `('system.schema','block_content',0x${hex('i:10300;')}),`,
  `('system.schema','mymodule',0x${hex('i:10900;')}),`,
  `('system.schema','system',0x${hex('i:10201;')}),`,
  `('system.schema','user',0x${hex('i:10000;')});`,
  '',
].join('\n');
const PLAIN_DUMP = [
  "INSERT INTO `key_value` VALUES ('state','note','s:40:\"(\\'system.schema\\',\\'system\\',\\'i:99999;\\')\";'),('system.schema','system','i:10201;'),('system.schema','node','i:8700;');",
  '',
].join('\n');

function chunks(input: string, size: number): Buffer[] {
  const b = Buffer.from(input, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

function schemaOf(dump: string, size: number): number | undefined {
  const s = new DumpRowScanner(drupalDump.versionRow);
  for (const c of chunks(dump, size)) s.feed(c);
  return drupalDump.schemaOf!(s.valuesIn('key_value'));
}

describe('the Drupal dump profile', () => {
  it('reads the highest core module schema from key_value, hex-blob or plain, whatever the chunking; contrib modules and escaped strings do not count', () => {
    for (const size of [5, 64, 4096]) {
      expect(schemaOf(HEX_DUMP, size)).toBe(10300);
      expect(schemaOf(PLAIN_DUMP, size)).toBe(10201);
    }
    expect(schemaOf('INSERT INTO `key_value` VALUES (\'state\',\'x\',\'i:1;\');\n', 64)).toBeUndefined();
  });

  it('decodes one stored schema value', () => {
    expect(drupalSchemaValue(hex('i:10300;'))).toBe(10300);
    expect(drupalSchemaValue('8700')).toBe(8700);
    expect(drupalSchemaValue(hex('s:5:"10300";'))).toBeUndefined();
  });

  it('finds the installation by its marker tables; refuses a prefix (the images take none), a second installation, and CiviCRM missing for drupal-civicrm', () => {
    const drupal = (p: string) => ['key_value', 'key_value_expire', 'users_field_data', 'config', 'router', 'node'].map((t) => p + t);
    const civicrm = ['civicrm_domain', 'civicrm_setting', 'civicrm_contact'];
    expect(tablePrefixOf(drupalDump, drupal(''))).toEqual({ prefix: '' });
    expect(tablePrefixOf(drupalCivicrmDump, [...drupal(''), ...civicrm])).toEqual({ prefix: '' });
    expect(tablePrefixOf(drupalDump, drupal('d8_'))).toEqual({ refused: expect.stringMatching(/prefix "d8_", and this platform's images run Drupal without one; rename the tables/) });
    expect(tablePrefixOf(drupalDump, [...drupal(''), ...drupal('old_')])).toEqual({ refused: expect.stringMatching(/2 Drupal installations/) });
    expect(tablePrefixOf(drupalCivicrmDump, drupal(''))).toEqual({ refused: expect.stringMatching(/not civicrm_domain, civicrm_setting, civicrm_contact/) });
    expect(tablePrefixOf(drupalDump, ['wp_options', 'wp_posts'])).toEqual({ refused: expect.stringMatching(/no Drupal installation/) });
  });

  it('reads an image’s version as the highest hook_update_N of the core modules’ .install files', () => {
    const install = "<?php\nfunction system_update_10100() {}\nfunction system_update_10201(&$sandbox) {}\n// function system_update_99999()\n";
    const versions = [...install.matchAll(drupalDump.imageVersion.schema)].map((m) => Number(m[1]));
    expect(Math.max(...versions)).toBe(10201);
    expect(drupalDump.imageVersion.paths).toContain('/var/www/drupal/web/core/modules/block_content/block_content.install');
    expect(drupalDump.imageVersion.release.exec("  const VERSION = '10.3.7';")?.[1]).toBe('10.3.7');
  });
});
