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
  /** Finds the schema version in that table's INSERT rows as dumped (first capture group). */
  versionRow: RegExp;
  /** A file of the image that names the schema version its code expects (first capture) and its release (second pattern). */
  imageVersion: { path: string; schema: RegExp; release: RegExp };
  /** What the schema number is called, for messages (`db_version`). */
  versionName: string;
  /** The platform's name, for messages. */
  product: string;
}

/** WordPress table prefixes: what wp-config accepts (letters, digits, `_`). */
const PREFIX = /^[A-Za-z0-9_]*$/;

export const wordpressDump: DumpProfile = {
  markerTables: ['options', 'posts', 'users', 'usermeta'],
  versionTable: 'options',
  // `(7,'db_version','53496','yes')` (mysqldump) or `(7, 'db_version', '53496', 'yes')` (phpMyAdmin);
  // inside a string literal the quotes are escaped, so post content never matches.
  versionRow: /[(,]\s*'db_version'\s*,\s*'(\d+)'/g,
  imageVersion: { path: '/usr/share/wordpress/wp-includes/version.php', schema: /\$wp_db_version\s*=\s*(\d+)/, release: /\$wp_version\s*=\s*'([^']+)'/ },
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
  return { prefix };
}
