import { randomBytes } from 'node:crypto';
import type { Platform } from './validate';
import type { SiteSpec } from './spec';
import { wordpressDump, type DumpProfile } from './platformDumps';

/** Settings the web container gets as environment: nothing secret. */
export interface ContainerSettings {
  dbHost: string;
  dbName: string;
  dbUser: string;
}

/**
 * What differs between platforms: mount points, the secret files a site needs, and the
 * commands (argv arrays, never shell strings) that install, update and run cron.
 */
export interface PlatformProfile {
  platform: Platform;
  /** Where the site's files volume is mounted in the web container. */
  filesMount: string;
  /** Secrets mounted read-only at /run/secrets/tutti: file name → generator of its content. */
  secretFiles: Record<string, () => string>;
  /** Group that must read the secret files inside the container (the web server's). */
  secretGid: number;
  /** User the platform commands run as inside the container. */
  execUser: string;
  env(site: SiteSpec, s: ContainerSettings): string[];
  install(site: SiteSpec, admin: { user: string; email: string }): string[][];
  /** Database and cache updates after a code or image change. */
  update(): string[][];
  cron(): string[][];
  /** Path Varnish probes and health checks request; must answer 200 without redirects. */
  healthPath: string;
  /** Reads a migration dump's table prefix and schema version (src/site/platformDumps.ts); none: no such checks. */
  dump?: DumpProfile;
  /** Prints the site's name as stored in its database, as JSON: what its pages show now. */
  siteName?: string[];
}

const alnum = (n: number) => randomBytes(n * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, n);

function wpSalts(): string {
  const keys = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'];
  return `<?php\n${keys.map((k) => `define('${k}', '${alnum(64)}');`).join('\n')}\n`;
}

export const wordpress: PlatformProfile = {
  platform: 'wordpress',
  filesMount: '/var/lib/wordpress/wp-content',
  secretFiles: { db_password: () => alnum(32), 'wp_salts.php': wpSalts, wp_admin_password: () => alnum(24) },
  secretGid: 33,
  execUser: 'www-data',
  env: (site, s) => [
    `TUTTI_DB_HOST=${s.dbHost}`,
    `TUTTI_DB_NAME=${s.dbName}`,
    `TUTTI_DB_USER=${s.dbUser}`,
    `TUTTI_SITE_URL=http://${site.domains[0]}`,
    ...(site.tablePrefix ? [`TUTTI_DB_TABLE_PREFIX=${site.tablePrefix}`] : []),
  ],
  install: (site, admin) => [['php', '/usr/local/bin/tutti-wp', 'install', '--title', site.title, '--admin-user', admin.user, '--admin-email', admin.email]],
  update: () => [['php', '/usr/local/bin/tutti-wp', 'upgrade-db']],
  cron: () => [['php', '/usr/local/bin/tutti-wp', 'cron']],
  healthPath: '/wp-login.php',
  dump: wordpressDump,
  siteName: ['php', '/usr/local/bin/tutti-wp', 'option-get', 'blogname'],
};

/**
 * Drupal + CiviCRM on upstream images (e.g. the Simuliidae images, code under /var/www/html).
 * No Drupal can be fetched on the build machines, so these commands are unit-tested, not run.
 */
export const drupalCivicrm: PlatformProfile = {
  platform: 'drupal-civicrm',
  filesMount: '/var/www/html/web/sites/default/files',
  secretFiles: {
    db_password: () => alnum(32),
    drupal_hash_salt: () => alnum(64),
    civicrm_site_key: () => alnum(32),
    civicrm_cred_keys: () => `aes-cbc:hkdf-sha256:${alnum(43)}`,
    admin_password: () => alnum(24),
  },
  secretGid: 33,
  execUser: 'www-data',
  env: (site, s) => [
    `TUTTI_DB_HOST=${s.dbHost}`,
    `TUTTI_DB_NAME=${s.dbName}`,
    `TUTTI_DB_USER=${s.dbUser}`,
    `TUTTI_SITE_URL=http://${site.domains[0]}`,
    'TUTTI_SECRETS_DIR=/run/secrets/tutti',
  ],
  install: (site, admin) => [
    // settings.php of these images reads the DB password and hash salt from TUTTI_SECRETS_DIR; drush gets no secret on argv.
    ['drush', '--root=/var/www/html/web', 'site:install', 'standard', '--yes', `--site-name=${site.title}`, `--account-name=${admin.user}`, `--account-mail=${admin.email}`, '--existing-config=0'],
    // drush prints the random password it chose; it is replaced at once by the stored one, read from the file (no secret on argv).
    ['drush', '--root=/var/www/html/web', 'php:eval', `$u = user_load_by_name(${phpString(admin.user)}); $u->setPassword(trim(file_get_contents('/run/secrets/tutti/admin_password'))); $u->save();`],
    ['cv', '--cwd=/var/www/html/web', 'core:install', '--cms-base-url', `http://${site.domains[0]}`, '--lang=en_US', '--no-interaction'],
  ],
  update: () => [
    ['drush', '--root=/var/www/html/web', 'updatedb', '--yes'],
    ['cv', '--cwd=/var/www/html/web', 'upgrade:db', '--no-interaction'],
    ['drush', '--root=/var/www/html/web', 'cache:rebuild'],
    ['cv', '--cwd=/var/www/html/web', 'flush'],
  ],
  cron: () => [
    ['drush', '--root=/var/www/html/web', 'cron'],
    ['cv', '--cwd=/var/www/html/web', 'api3', 'Job.execute', '--user=admin'],
  ],
  healthPath: '/user/login',
};

/** A PHP single-quoted string literal. */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function profileOf(platform: Platform): PlatformProfile {
  return platform === 'wordpress' ? wordpress : drupalCivicrm;
}
