import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { intervalSchema, timeoutSchema, type CronDefaults } from './site/cron';
import { parseMailRoute, type MailRoute, type SmarthostTls } from './site/mail';
import { tlsConfig, type TlsConfig } from './tlsConfig';

/**
 * Tutti's configuration: built once at an entry point (worker, CLI, scripts, tests) from
 * the environment and passed down. Nothing below the entry points reads `process.env`.
 */
export interface TuttiConfig {
  /** Prefix of every Docker resource name; also the `tutti.prefix` label, so a test platform lives beside a live one. */
  prefix: string;
  /** This Docker host's name; its host worker polls `tutti-host-<hostName>`. */
  hostName: string;
  dataDir: string;
  cacheDir: string;
  temporal: {
    address: string;
    namespace: string;
    uiPort: number;
    taskQueue: string;
    /** Identity recorded in the audit log for runs started by this process. */
    identity: string;
  };
  docker: { socketPath: string } | { host: string; port: number };
  mariadb: { host: string; port: number; image: string };
  varnish: { httpPort: number; image: string };
  s3: {
    endpoint: string | undefined;
    region: string;
    bucket: string;
    prefix: string;
    accessKeyId: string;
    /** Read from a file, never from the environment directly; absent until the platform created it. */
    secretAccessKeyFile: string;
    forcePathStyle: boolean;
    minioPort: number;
  };
  defaults: { wordpressImage: string; drupalImage: string; drupalCivicrmImage: string };
  /** Migrated sites wait for approval on `<slug>.<stagingDomain>`. */
  migrate: { stagingDomain: string };
  /** Nightly fleet backup and retention (see workflows/fleetBackup.ts). */
  backup: {
    /** Cron expression (UTC) of the `tutti-fleet-backup` Schedule; null when TUTTI_BACKUP_SCHEDULE=off. */
    schedule: string | null;
    /** Newest good backup of each of the last N days that have one. */
    keepDaily: number;
    /** Newest good backup of each of the last M ISO weeks that have one. */
    keepWeekly: number;
    /** Site backups the fleet run takes at the same time. */
    concurrency: number;
    /** Sites per fleet run whose newest backup is restored into a throwaway site (rotating). */
    verifySample: number;
    /** A site without a good backup younger than this is reported. */
    staleAfterHours: number;
  };
  /** Payload encryption (src/codec) and the codec server the Web UI decodes through. */
  codec: {
    /** Files each holding one AES-256 key (base64 of 32 bytes); a file's name without `.key` is its key ID. */
    keyFiles: string[];
    /** ID of the key that encrypts new payloads; every listed key decrypts. */
    activeKeyId: string;
    server: {
      /** Whether `npm run up` starts the codec server and points the dev server's UI at it. */
      enabled: boolean;
      port: number;
      /** Browser origins allowed to call it (the Web UI's). */
      allowedOrigins: string[];
      /** When set, callers must send `Authorization: Bearer <content of this file>`. */
      tokenFile: string | undefined;
    };
  };
  /** Site crons: defaults of each site's Temporal Schedule (workflows/siteCron.ts); `tutti cron set` overrides per site. */
  cron: CronDefaults;
  /** The host's mail relay container (src/platform/relay.ts) that all site mail leaves through. */
  mail: {
    relayImage: string;
    /** The relay's name in SMTP greetings (HELO) and its own addresses. */
    hostname: string;
    route: MailRoute;
  };
  /** The worker's Prometheus endpoint (src/worker/metrics.ts): Temporal's runtime metrics and Tutti's own. */
  metrics: {
    /** `ip:port` the worker serves `/metrics` on; null when TUTTI_METRICS_ADDRESS=off. */
    address: string | null;
    /** How often the worker recomputes each site's backup age from the bucket. */
    refreshSeconds: number;
  };
  /** HTTPS for every site (src/tlsConfig.ts). */
  tls: TlsConfig;
}

const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: `${name} must be one of true/false/1/0/yes/no`,
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = (name: string) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int()
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`);

const name = (field: string) =>
  z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, `${field} must be lowercase letters, digits and '-', starting with a letter, at most 31 characters`);

const count = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be between ${min} and ${max}`)
    .max(max, `${name} must be between ${min} and ${max}`);

// Five fields, UTC; `off` disables the Schedule. Temporal validates the expression itself.
const cron = z
  .string()
  .regex(/^(off|[0-9*/,-]+( [0-9*/,A-Za-z-]+){4})$/, 'must be a five-field cron expression such as "30 2 * * *" (UTC), or off')
  .transform((v) => (v === 'off' ? null : v));

// Temporal's exporter binds a socket address: an IP literal and a port, no host name.
const metricsAddress = z
  .string()
  .refine((v) => {
    if (v === 'off') return true;
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(v);
    return !!m && isIP(m[1] ?? m[2]!) !== 0 && Number(m[3]) >= 1 && Number(m[3]) <= 65535;
  }, 'must be an IP address and port such as 127.0.0.1:9464 or [::1]:9464, or off')
  .transform((v) => (v === 'off' ? null : v));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Parses the environment into a validated {@link TuttiConfig}; throws {@link ConfigError} naming the variable. */
export function loadConfig(env: Env = process.env): TuttiConfig {
  const get = (key: string, fallback: string): string => {
    const v = env[key];
    return v === undefined || v === '' ? fallback : v;
  };
  const parse = <T>(key: string, schema: z.ZodType<T>, fallback: string): T => {
    const result = schema.safeParse(get(key, fallback));
    if (!result.success) {
      throw new ConfigError(`${key}=${JSON.stringify(env[key])}: ${result.error.issues[0]?.message ?? 'invalid'}`);
    }
    return result.data;
  };

  const dataDir = get('TUTTI_DATA_DIR', join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'tutti'));
  const prefix = parse('TUTTI_PREFIX', name('TUTTI_PREFIX'), 'tutti');
  const hostName = parse('TUTTI_HOST_NAME', name('TUTTI_HOST_NAME'), 'local');
  const minioPort = parse('TUTTI_MINIO_PORT', port('TUTTI_MINIO_PORT'), '9000');
  const uiPort = parse('TUTTI_TEMPORAL_UI_PORT', port('TUTTI_TEMPORAL_UI_PORT'), '8233');

  return {
    prefix,
    hostName,
    dataDir,
    cacheDir: get('TUTTI_CACHE_DIR', '/var/cache/tutti'),
    temporal: {
      address: get('TEMPORAL_ADDRESS', '127.0.0.1:7233'),
      namespace: parse('TEMPORAL_NAMESPACE', name('TEMPORAL_NAMESPACE'), 'tutti'),
      uiPort,
      taskQueue: 'tutti',
      identity: get('TUTTI_IDENTITY', `${env.USER ?? 'operator'}@${hostname()}`),
    },
    docker: parseDockerHost(get('DOCKER_HOST', 'unix:///var/run/docker.sock')),
    mariadb: {
      host: get('TUTTI_DB_HOST', '127.0.0.1'),
      port: parse('TUTTI_DB_PORT', port('TUTTI_DB_PORT'), '3306'),
      image: get('TUTTI_MARIADB_IMAGE', 'tutti/mariadb:10.11'),
    },
    varnish: {
      httpPort: parse('TUTTI_HTTP_PORT', port('TUTTI_HTTP_PORT'), '8080'),
      image: get('TUTTI_VARNISH_IMAGE', 'tutti/varnish:7'),
    },
    s3: {
      endpoint: get('TUTTI_S3_ENDPOINT', `http://127.0.0.1:${minioPort}`) || undefined,
      region: get('TUTTI_S3_REGION', 'us-east-1'),
      bucket: parse('TUTTI_S3_BUCKET', z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'not a valid S3 bucket name'), `${prefix}-backups`),
      prefix: parse('TUTTI_S3_PREFIX', z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and -'), 'sites'),
      accessKeyId: get('TUTTI_S3_ACCESS_KEY_ID', 'tutti'),
      secretAccessKeyFile: get('TUTTI_S3_SECRET_ACCESS_KEY_FILE', join(dataDir, 'secrets', 's3_secret_access_key')),
      forcePathStyle: parse('TUTTI_S3_FORCE_PATH_STYLE', bool('TUTTI_S3_FORCE_PATH_STYLE'), 'true'),
      minioPort,
    },
    defaults: {
      wordpressImage: get('TUTTI_DEFAULT_WORDPRESS_IMAGE', 'tutti/wordpress:php8.2-bookworm'),
      drupalImage: get('TUTTI_DEFAULT_DRUPAL_IMAGE', 'tutti/drupal:10.3-php8.2-bookworm'),
      drupalCivicrmImage: get('TUTTI_DEFAULT_DRUPAL_CIVICRM_IMAGE', 'tutti/drupal-civicrm:10.3-6.5-php8.2-bookworm'),
    },
    migrate: {
      stagingDomain: parse('TUTTI_STAGING_DOMAIN', z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'must be a lowercase domain such as staging.example.org'), 'staging.tutti.test'),
    },
    backup: {
      schedule: parse('TUTTI_BACKUP_SCHEDULE', cron, '30 2 * * *'),
      keepDaily: parse('TUTTI_BACKUP_KEEP_DAILY', count('TUTTI_BACKUP_KEEP_DAILY', 0, 366), '7'),
      keepWeekly: parse('TUTTI_BACKUP_KEEP_WEEKLY', count('TUTTI_BACKUP_KEEP_WEEKLY', 0, 520), '4'),
      concurrency: parse('TUTTI_BACKUP_CONCURRENCY', count('TUTTI_BACKUP_CONCURRENCY', 1, 32), '2'),
      verifySample: parse('TUTTI_BACKUP_VERIFY_SAMPLE', count('TUTTI_BACKUP_VERIFY_SAMPLE', 0, 100), '1'),
      staleAfterHours: parse('TUTTI_BACKUP_STALE_HOURS', count('TUTTI_BACKUP_STALE_HOURS', 1, 24 * 30), '26'),
    },
    codec: codecConfig(get, parse, dataDir, uiPort),
    cron: cronConfig(parse),
    mail: mailConfig(get, parse),
    metrics: {
      address: parse('TUTTI_METRICS_ADDRESS', metricsAddress, '127.0.0.1:9464'),
      refreshSeconds: parse('TUTTI_METRICS_REFRESH_SECONDS', count('TUTTI_METRICS_REFRESH_SECONDS', 5, 86_400), '60'),
    },
    tls: tlsConfig(get, parse, { port, bool, cron }, dataDir),
  };
}

type Get = (key: string, fallback: string) => string;
type Parse = <T>(key: string, schema: z.ZodType<T>, fallback: string) => T;

const keyFile = z
  .string()
  .regex(/^\/.*\/[A-Za-z0-9_-]{1,64}\.key$/, 'must be absolute paths of files named <key ID>.key (key ID: letters, digits, _ and -)');

function codecConfig(get: Get, parse: Parse, dataDir: string, uiPort: number): TuttiConfig['codec'] {
  const keyFiles = parse('TUTTI_CODEC_KEY_FILES', z.string().transform((v) => v.split(',').map((f) => f.trim())).pipe(z.array(keyFile).min(1)), join(dataDir, 'secrets', 'codec', 'k1.key'));
  const ids = keyFiles.map(keyIdOf);
  if (new Set(ids).size !== ids.length) throw new ConfigError(`TUTTI_CODEC_KEY_FILES lists two files with the same key ID (${ids.join(', ')}); key IDs must be unique`);
  const activeKeyId = get('TUTTI_CODEC_ACTIVE_KEY', ids[0]!);
  if (!ids.includes(activeKeyId)) throw new ConfigError(`TUTTI_CODEC_ACTIVE_KEY=${JSON.stringify(activeKeyId)} is none of the configured keys (${ids.join(', ')}); add its file to TUTTI_CODEC_KEY_FILES`);
  const origin = z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'must be origins such as http://127.0.0.1:8233 (scheme, host, port; no path)');
  return {
    keyFiles,
    activeKeyId,
    server: {
      enabled: parse('TUTTI_CODEC_SERVER', bool('TUTTI_CODEC_SERVER'), 'true'),
      port: parse('TUTTI_CODEC_PORT', port('TUTTI_CODEC_PORT'), String(uiPort + 1)),
      allowedOrigins: parse('TUTTI_CODEC_ALLOWED_ORIGINS', z.string().transform((v) => v.split(',').map((o) => o.trim())).pipe(z.array(origin)), `http://127.0.0.1:${uiPort},http://localhost:${uiPort}`),
      tokenFile: get('TUTTI_CODEC_TOKEN_FILE', '') || undefined,
    },
  };
}

/** A key file's ID: its name without `.key`. */
export function keyIdOf(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1).replace(/\.key$/, '');
}

function parseDockerHost(value: string): TuttiConfig['docker'] {
  if (value.startsWith('unix://')) return { socketPath: value.slice('unix://'.length) };
  const m = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(value);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  throw new ConfigError(`DOCKER_HOST=${JSON.stringify(value)}: expected unix:///path or tcp://host:port`);
}

/** Reads a secret file; the error names the file, never its content. */
export function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`secret file ${path} is not readable (${(err as NodeJS.ErrnoException).code ?? 'error'}); run npm run up to create it`);
  }
}

function cronConfig(parse: Parse): TuttiConfig['cron'] {
  return {
    intervalSeconds: {
      // CiviMail and scheduled reminders want minutes; WordPress's own events are hourly at most, but scheduled posts want minutes too.
      'drupal-civicrm': parse('TUTTI_CRON_INTERVAL_CIVICRM', intervalSchema, '5m'),
      drupal: parse('TUTTI_CRON_INTERVAL_DRUPAL', intervalSchema, '1h'),
      wordpress: parse('TUTTI_CRON_INTERVAL_WORDPRESS', intervalSchema, '10m'),
    },
    timeoutSeconds: parse('TUTTI_CRON_TIMEOUT', timeoutSchema, '15m'),
  };
}

function mailConfig(get: Get, parse: Parse): TuttiConfig['mail'] {
  const tls = parse('TUTTI_SMARTHOST_TLS', z.enum(['starttls', 'tls', 'none'], { error: 'must be starttls, tls or none' }), 'starttls') as SmarthostTls;
  const credentialsFile = get('TUTTI_SMARTHOST_CREDENTIALS_FILE', '') || null;
  const smarthost = get('TUTTI_SMARTHOST', '');
  const route = parseMailRoute(smarthost, tls, credentialsFile);
  if (typeof route === 'string') throw new ConfigError(`TUTTI_SMARTHOST=${JSON.stringify(smarthost)}: ${route}`);
  if (credentialsFile && route.kind !== 'smarthost') throw new ConfigError('TUTTI_SMARTHOST_CREDENTIALS_FILE is set but TUTTI_SMARTHOST names no smarthost host; set both or neither');
  if (credentialsFile && !credentialsFile.startsWith('/')) throw new ConfigError(`TUTTI_SMARTHOST_CREDENTIALS_FILE=${JSON.stringify(credentialsFile)}: must be an absolute path`);
  return {
    relayImage: get('TUTTI_RELAY_IMAGE', 'tutti/relay:bookworm'),
    hostname: parse('TUTTI_MAIL_HOSTNAME', z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, 'must be a lowercase hostname'), hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'localhost'),
    route,
  };
}
