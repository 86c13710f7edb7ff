import { ConfigError, loadConfig } from '../../src/config';
import {
  CRON_LOCK_BUSY_EXIT,
  cronBlockedBy,
  cronOffsetSeconds,
  cronPolicy,
  cronScheduleId,
  cronWorkflowId,
  formatDuration,
  guardedCronArgv,
  intervalSchema,
  outputTail,
  parseDuration,
  slugOfCronSchedule,
} from '../../src/site/cron';
import { describeRoute, parseMailRoute, relayEnv } from '../../src/site/mail';
import { drupal, drupalCivicrm, wordpress } from '../../src/site/platforms';

describe('cron durations', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1h30m', 5400],
    ['45', 45],
  ])('parses %j', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
  it.each(['', '10 minutes', '-5m', '1d', 'm', '5m;rm'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it('formats the shortest way', () => {
    expect([formatDuration(600), formatDuration(5400), formatDuration(45), formatDuration(3661)]).toEqual(['10m', '1h30m', '45s', '1h1m1s']);
  });
  it('bounds the interval: Temporal needs at least 10 s, a day at most', () => {
    expect(intervalSchema.parse('5m')).toBe(300);
    expect(intervalSchema.safeParse('5s').success).toBe(false);
    expect(intervalSchema.safeParse('25h').success).toBe(false);
  });
});

describe('cron identity', () => {
  it('one schedule per site; runs under their own workflow IDs', () => {
    expect(cronScheduleId('acme')).toBe('cron-acme');
    expect(cronWorkflowId('acme')).toBe('cron/acme');
    expect(slugOfCronSchedule('cron-acme-2')).toBe('acme-2');
    expect(slugOfCronSchedule('tutti-fleet-backup')).toBeUndefined();
    expect(slugOfCronSchedule('cron-Bad_slug')).toBeUndefined();
  });
});

describe('cron policy', () => {
  const defaults = { intervalSeconds: { wordpress: 600, drupal: 3600, 'drupal-civicrm': 300 }, timeoutSeconds: 900 };
  it('uses the platform default unless the site has its own', () => {
    expect(cronPolicy('acme', 'drupal-civicrm', { everySeconds: null, timeoutSeconds: null }, defaults)).toMatchObject({ everySeconds: 300, timeoutSeconds: 900, catchupWindowSeconds: 300 });
    expect(cronPolicy('acme', 'wordpress', { everySeconds: 60, timeoutSeconds: 30 }, defaults)).toMatchObject({ everySeconds: 60, timeoutSeconds: 30, catchupWindowSeconds: 60 });
  });
  it('spreads sites over the interval, stably', () => {
    const offsets = Array.from({ length: 50 }, (_, i) => cronOffsetSeconds(`site-${i}`, 300));
    expect(offsets.every((o) => o >= 0 && o < 300)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(35);
    expect(cronOffsetSeconds('acme', 300)).toBe(cronOffsetSeconds('acme', 300));
  });
});

describe('guarded cron argv', () => {
  it('takes the container lock without waiting, then runs the command under a time limit; no shell', () => {
    expect(guardedCronArgv(['php', '/usr/local/bin/tutti-wp', 'cron'], 900)).toEqual([
      'flock', '-n', '-E', String(CRON_LOCK_BUSY_EXIT), '/tmp/tutti-cron.lock',
      'timeout', '-k', '10s', '900s',
      'php', '/usr/local/bin/tutti-wp', 'cron',
    ]);
    expect(() => guardedCronArgv([], 10)).toThrow();
  });
  it('WordPress runs its due events with tutti-wp', () => {
    expect(wordpress.cron()).toEqual([['php', '/usr/local/bin/tutti-wp', 'cron']]);
  });
  it('Drupal + CiviCRM: drush cron, then CiviCRM scheduled jobs (CiviMail, reminders) through cv', () => {
    expect(drupalCivicrm.cron()).toEqual([
      ['drush', '--root=/var/www/drupal/web', 'cron'],
      ['cv', '--cwd=/var/www/drupal/web', 'api3', 'Job.execute', '--user=admin'],
    ]);
    for (const argv of drupalCivicrm.cron()) expect(argv.every((a) => !/[;&|`$]/.test(a))).toBe(true);
  });
  it('Drupal alone: drush cron only', () => {
    expect(drupal.cron()).toEqual([['drush', '--root=/var/www/drupal/web', 'cron']]);
  });
});

describe('when a cron must not run', () => {
  const live = { status: 'active', activeContainer: 'tutti-site-acme-web-blue' };
  it('runs on an active site nobody is changing, or during a backup', () => {
    expect(cronBlockedBy(live, undefined)).toBeUndefined();
    expect(cronBlockedBy(live, { type: 'backupSite', startTime: 'T' })).toBeUndefined();
  });
  it('skips while an upgrade, restore or migration holds the site, or the site is not active', () => {
    expect(cronBlockedBy(live, { type: 'upgradeSite', startTime: '2026-11-28T07:00:00Z' })).toBe('site is busy with upgradeSite since 2026-11-28T07:00:00Z');
    expect(cronBlockedBy(live, { type: 'restoreSite', startTime: 'T' })).toMatch(/restoreSite/);
    expect(cronBlockedBy(live, { type: 'migrateSite', startTime: 'T' })).toMatch(/migrateSite/);
    expect(cronBlockedBy({ status: 'creating', activeContainer: null }, undefined)).toBe('site is creating, not active');
    expect(cronBlockedBy({ status: 'active', activeContainer: null }, undefined)).toBe('site has no live web container');
  });
});

describe('output tail', () => {
  it('keeps the last lines, bounded', () => {
    const text = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\r\n');
    expect(outputTail(text, 3)).toBe('line 37\nline 38\nline 39');
    expect(outputTail('x'.repeat(5000)).length).toBeLessThanOrEqual(2001);
  });
});

describe('mail route', () => {
  it('keeps mail in the relay by default', () => {
    expect(parseMailRoute('', 'starttls', null)).toEqual({ kind: 'mailbox' });
    expect(describeRoute({ kind: 'mailbox' })).toMatch(/TUTTI_SMARTHOST/);
  });
  it('parses a smarthost with the port its TLS mode implies', () => {
    expect(parseMailRoute('smtp.example.org', 'starttls', '/etc/tutti/smarthost')).toEqual({ kind: 'smarthost', host: 'smtp.example.org', port: 587, tls: 'starttls', credentialsFile: '/etc/tutti/smarthost' });
    expect(parseMailRoute('smtp.example.org', 'tls', null)).toMatchObject({ port: 465 });
    expect(parseMailRoute('SMTP.example.org:2525', 'none', null)).toMatchObject({ host: 'smtp.example.org', port: 2525 });
    expect(parseMailRoute('direct', 'starttls', null)).toEqual({ kind: 'direct' });
  });
  it.each(['smtp.example.org:99999', 'a b', '-oProxyCommand=x', 'smtp.example.org:25:1'])('rejects %j', (v) => {
    expect(typeof parseMailRoute(v, 'starttls', null)).toBe('string');
  });
  it('gives the relay the route, never the credentials', () => {
    const env = relayEnv({ kind: 'smarthost', host: 'smtp.example.org', port: 587, tls: 'starttls', credentialsFile: '/secret/file' }, 'host1.example.org');
    expect(env).toEqual(['TUTTI_RELAY_ROUTE=smarthost', 'TUTTI_RELAY_HOSTNAME=host1.example.org', 'TUTTI_RELAY_SMARTHOST=[smtp.example.org]:587', 'TUTTI_RELAY_TLS=starttls', 'TUTTI_RELAY_AUTH=yes']);
    expect(env.join(' ')).not.toContain('/secret/file');
  });
});

describe('cron and mail configuration', () => {
  it('has defaults: CiviCRM every 5 minutes, WordPress every 10, Drupal hourly, 15 minutes to finish, mail kept locally', () => {
    const cfg = loadConfig({ HOME: '/home/op' });
    expect(cfg.cron).toEqual({ intervalSeconds: { 'drupal-civicrm': 300, drupal: 3600, wordpress: 600 }, timeoutSeconds: 900 });
    expect(cfg.mail.route).toEqual({ kind: 'mailbox' });
    expect(cfg.mail.relayImage).toBe('tutti/relay:bookworm');
  });
  it('names the variable in errors', () => {
    expect(() => loadConfig({ TUTTI_CRON_INTERVAL_WORDPRESS: '2s' })).toThrow(/TUTTI_CRON_INTERVAL_WORDPRESS="2s": must be a duration/);
    expect(() => loadConfig({ TUTTI_SMARTHOST: 'a b' })).toThrow(ConfigError);
    expect(() => loadConfig({ TUTTI_SMARTHOST_CREDENTIALS_FILE: '/x' })).toThrow(/TUTTI_SMARTHOST_CREDENTIALS_FILE is set but/);
    expect(() => loadConfig({ TUTTI_SMARTHOST: 'smtp.example.org', TUTTI_SMARTHOST_CREDENTIALS_FILE: 'relative' })).toThrow(/absolute/);
  });
});
