/**
 * What a platform reads from a site's SQL dump before anything is created: the table prefix of
 * the one installation in it and the schema version its data was last upgraded to, compared
 * with the version the chosen image's code expects. A platform without one migrates with no
 * prefix and no version check.
 */
export interface DumpProfile {
  /** Tables (without prefix) that every installation of the platform has. */
  markerTables: string[];
  /** The table, without prefix, whose rows hold the schema version. */
  versionTable: string;
  /** Finds the schema version in that table's INSERT rows as dumped (the first capture group that matched). */
  versionRow: RegExp;
  /** The dump's schema version from every value `versionRow` found in the version table; default: the first, as a number. */
  schemaOf?: (values: string[]) => number | undefined;
  /**
   * Files of the image that name the schema versions its code knows (every match of `schema`,
   * the highest wins; a missing file is skipped) and, in the first file of `releasePath` (default
   * the first path), its release.
   */
  imageVersion: { paths: string[]; schema: RegExp; release: RegExp; releasePath?: string };
  /** Tables, without the Drupal prefix, the dump must also hold (CiviCRM's own, which carry no prefix). */
  alsoTables?: string[];
  /** The image's settings use no table prefix: a dump with one is refused (rename its tables first). */
  noPrefix?: boolean;
  /** What the schema number is called, for messages (`db_version`). */
  versionName: string;
  /** The platform's name, for messages. */
  product: string;
}

/**
 * Core modules of Drupal whose schema (the last hook_update_N run, in key_value
 * `system.schema`) moves with core releases: 10.2 leaves system at 10201, 10.3's
 * block_content_update_10300 moves block_content to 10300. The dump's version is the highest of
 * theirs; the image's the highest hook_update_N in their .install files. Contrib modules number
 * their updates freely and are left out.
 */
const DRUPAL_CORE_MODULES = ['system', 'user', 'node', 'block_content', 'taxonomy', 'comment', 'field', 'file', 'editor', 'filter', 'contact', 'views', 'path_alias', 'menu_link_content'];
const DRUPAL_CORE = '/var/www/drupal/web/core';

/** A key_value value as dumped: `'i:10300;'` (serialized int) or, with --hex-blob, `0x693a31303330303b`. */
export function drupalSchemaValue(raw: string): number | undefined {
  const text = /^[0-9a-f]+$/i.test(raw) && raw.length % 2 === 0 && raw.toLowerCase().startsWith('693a') ? Buffer.from(raw, 'hex').toString('latin1') : `i:${raw};`;
  const m = /^i:(\d+);$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export const drupalDump: DumpProfile = {
  markerTables: ['key_value', 'users_field_data', 'config', 'router'],
  versionTable: 'key_value',
  versionRow: new RegExp(`[(,]\\s*'system\\.schema'\\s*,\\s*'(?:${DRUPAL_CORE_MODULES.join('|')})'\\s*,\\s*(?:'i:(\\d+);'|0x([0-9A-Fa-f]{2,64}))`, 'g'),
  schemaOf: (values) => {
    const versions = values.map(drupalSchemaValue).filter((v): v is number => v !== undefined);
    return versions.length ? Math.max(...versions) : undefined;
  },
  imageVersion: {
    paths: DRUPAL_CORE_MODULES.map((m) => `${DRUPAL_CORE}/modules/${m}/${m}.install`),
    schema: /^function \w+_update_(\d{4,})\(/gm,
    release: /const VERSION = '([^']+)'/,
    releasePath: `${DRUPAL_CORE}/lib/Drupal.php`,
  },
  versionName: 'core module schema',
  product: 'Drupal',
  noPrefix: true,
};

export const drupalCivicrmDump: DumpProfile = { ...drupalDump, alsoTables: ['civicrm_domain', 'civicrm_setting', 'civicrm_contact'] };

/** WordPress table prefixes: what wp-config accepts (letters, digits, `_`). */
const PREFIX = /^[A-Za-z0-9_]*$/;

export const wordpressDump: DumpProfile = {
  markerTables: ['options', 'posts', 'users', 'usermeta'],
  versionTable: 'options',
  // `(7,'db_version','53496','yes')` (mysqldump) or `(7, 'db_version', '53496', 'yes')` (phpMyAdmin);
  // inside a string literal the quotes are escaped, so post content never matches.
  versionRow: /[(,]\s*'db_version'\s*,\s*'(\d+)'/g,
  imageVersion: { paths: ['/usr/share/wordpress/wp-includes/version.php'], schema: /\$wp_db_version\s*=\s*(\d+)/, release: /\$wp_version\s*=\s*'([^']+)'/ },
  versionName: 'db_version',
  product: 'WordPress',
};

/**
 * The table prefix of the one installation among `tables`: every marker table exists under it.
 * A multisite's sub-sites (`wp_2_options`) lack the shared users tables, so they are no second
 * installation. Returns a reason instead when there is none, several, or one WordPress would refuse.
 */
export function tablePrefixOf(profile: DumpProfile, tables: string[]): { prefix: string } | { refused: string } {
  const set = new Set(tables);
  const [first, ...rest] = profile.markerTables;
  const candidates = tables
    .filter((t) => t.endsWith(first!))
    .map((t) => t.slice(0, t.length - first!.length))
    .filter((p) => rest.every((m) => set.has(p + m)));
  const unique = [...new Set(candidates)];
  if (unique.length === 0) {
    return { refused: `it holds no ${profile.product} installation: no prefix has all of the tables ${profile.markerTables.join(', ')} (tables: ${tables.slice(0, 6).join(', ')}${tables.length > 6 ? ', …' : ''})` };
  }
  if (unique.length > 1) return { refused: `it holds ${unique.length} ${profile.product} installations (table prefixes ${unique.map((p) => JSON.stringify(p)).join(', ')}); export the one to migrate on its own` };
  const prefix = unique[0]!;
  if (!PREFIX.test(prefix) || prefix.length > 20) return { refused: `its table prefix ${JSON.stringify(prefix)} is not usable (letters, digits and _ only, at most 20)` };
  if (prefix && profile.noPrefix) {
    return { refused: `its ${profile.product} tables carry the prefix ${JSON.stringify(prefix)}, and this platform's images run ${profile.product} without one; rename the tables (drop ${JSON.stringify(prefix)}) and export again` };
  }
  const missing = (profile.alsoTables ?? []).filter((t) => !set.has(t));
  if (missing.length) return { refused: `it holds ${profile.product} but not ${missing.join(', ')}; is it a site of this platform?` };
  return { prefix };
}
