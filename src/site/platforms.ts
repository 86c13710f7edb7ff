import { randomBytes } from 'node:crypto';
import type { Platform } from './validate';
import type { SiteSpec } from './spec';
import { drupalCivicrmDump, drupalDump, wordpressDump, type DumpProfile } from './platformDumps';

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
  /** Commands that prove the platform works in a container (its code boots on its database); each exits 0 or fails the step. */
  checks(): string[][];
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
  checks: () => [['php', '/usr/local/bin/tutti-wp', 'status']],
  healthPath: '/wp-login.php',
  dump: wordpressDump,
  siteName: ['php', '/usr/local/bin/tutti-wp', 'option-get', 'blogname'],
};

/** Where the Drupal images keep the code (Composer project root) and a site's data volume. */
export const DRUPAL_ROOT = '/var/www/drupal/web';
const DRUPAL_DATA = '/var/www/tutti-data';

function drupalProfile(platform: 'drupal' | 'drupal-civicrm', civicrm: boolean): PlatformProfile {
  return {
    platform,
    // One volume for all a site writes: public files, private files, config sync, civicrm.settings.php.
    filesMount: DRUPAL_DATA,
    secretFiles: {
      db_password: () => alnum(32),
      drupal_hash_salt: () => alnum(64),
      admin_password: () => alnum(24),
      ...(civicrm
        ? {
            civicrm_site_key: () => alnum(32),
            civicrm_cred_keys: () => `aes-cbc:hkdf-sha256:${alnum(43)}`,
            civicrm_sign_keys: () => `jwt-hs256:hkdf-sha256:${alnum(43)}`,
          }
        : {}),
    },
    secretGid: 33,
    execUser: 'www-data',
    env: (site, s) => [
      `TUTTI_DB_HOST=${s.dbHost}`,
      `TUTTI_DB_NAME=${s.dbName}`,
      `TUTTI_DB_USER=${s.dbUser}`,
      `TUTTI_SITE_URL=http://${site.domains[0]}`,
      // Drupal's trusted_host_patterns: every domain of the site, nothing else.
      `TUTTI_SITE_DOMAINS=${site.domains.join(' ')}`,
    ],
    // tutti-drupal reads the admin password from its file; settings files read the DB password, salt and keys.
    install: (site, admin) => [['tutti-drupal', 'install', '--title', site.title, '--admin-user', admin.user, '--admin-email', admin.email]],
    update: () => [['tutti-drupal', 'update']],
    cron: () => [
      ['drush', `--root=${DRUPAL_ROOT}`, 'cron'],
      ...(civicrm ? [['cv', `--cwd=${DRUPAL_ROOT}`, 'api3', 'Job.execute', '--user=admin']] : []),
    ],
    // drush status must report a bootstrapped Drupal; with CiviCRM, cv api4 Contact.get must answer.
    checks: () => [['tutti-drupal', 'check']],
    healthPath: '/user/login',
    dump: civicrm ? drupalCivicrmDump : drupalDump,
  };
}

/** Drupal 10 + Drush on the tutti/drupal images (or an upstream image meeting the same contract; see images/README.md). */
export const drupal: PlatformProfile = drupalProfile('drupal', false);

/** Drupal 10 + Drush + CiviCRM + cv on the tutti/drupal-civicrm images; CiviCRM shares the site's database. */
export const drupalCivicrm: PlatformProfile = drupalProfile('drupal-civicrm', true);

/** A PHP single-quoted string literal. */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const PROFILES: Record<Platform, PlatformProfile> = { wordpress, drupal, 'drupal-civicrm': drupalCivicrm };

export function profileOf(platform: Platform): PlatformProfile {
  return PROFILES[platform];
}
