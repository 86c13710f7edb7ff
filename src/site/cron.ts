import { z } from 'zod';
import { slugSchema, type Platform } from './validate';

/**
 * A site's cron: the identity of its Temporal Schedule and runs, its interval and time limit,
 * and the guarded argv that runs the platform's cron commands in the web container. Pure.
 */

/** Exit code of `flock -n` when another cron of the site still holds the container's lock. */
export const CRON_LOCK_BUSY_EXIT = 75;
/** Exit code of coreutils `timeout` when the command ran past its limit. */
export const CRON_TIMEOUT_EXIT = 124;
/** Inside the web container; /tmp is per container, so blue and green never share it. */
export const CRON_LOCK_FILE = '/tmp/tutti-cron.lock';
/** Seconds between TERM and KILL once the time limit is reached. */
export const CRON_KILL_GRACE_SECONDS = 10;

/** Temporal refuses shorter catch-up windows; tests use intervals this short too. */
export const MIN_INTERVAL_SECONDS = 10;
export const MAX_INTERVAL_SECONDS = 24 * 3600;
export const MIN_TIMEOUT_SECONDS = 5;
export const MAX_TIMEOUT_SECONDS = 6 * 3600;

/** One Schedule per site; a `-` in an ID keeps the UI's schedule URLs plain. */
export function cronScheduleId(slug: string): string {
  return `cron-${slug}`;
}

/** The slug of a schedule ID made by {@link cronScheduleId}, or undefined for any other schedule. */
export function slugOfCronSchedule(scheduleId: string): string | undefined {
  const slug = scheduleId.startsWith('cron-') ? scheduleId.slice('cron-'.length) : undefined;
  return slug !== undefined && slugSchema.safeParse(slug).success ? slug : undefined;
}

/** The workflow ID a Schedule starts; Temporal appends `-<scheduled time>`, e.g. `cron/acme-2026-11-28T07:05:00Z`. */
export function cronWorkflowId(slug: string): string {
  return `cron/${slug}`;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `90s`, `10m`, `2h`, `1h30m` or a plain number of seconds → seconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^[0-9]+$/.test(t)) return Number(t);
  if (!/^([0-9]+[smh])+$/.test(t)) return undefined;
  let total = 0;
  for (const [, n, unit] of t.matchAll(/([0-9]+)([smh])/g)) total += Number(n) * UNITS[unit!]!;
  return total;
}

/** Seconds as the shortest of `45s`, `10m`, `1h30m`. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const out = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return out || '0s';
}

/** A duration field between `min` and `max` seconds, given as `10m`, `90s`, `2h` or seconds. */
export function durationSchema(min: number, max: number) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const seconds = typeof v === 'number' ? v : parseDuration(v);
      if (seconds === undefined || !Number.isInteger(seconds) || seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `must be a duration such as 10m, 90s or 2h, between ${formatDuration(min)} and ${formatDuration(max)}` });
        return z.NEVER;
      }
      return seconds;
    });
}

export const intervalSchema = durationSchema(MIN_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS);
export const timeoutSchema = durationSchema(MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);

/** Operator's per-site choices; null means "the platform default from the configuration". */
export interface CronSettings {
  everySeconds: number | null;
  timeoutSeconds: number | null;
}

export interface CronDefaults {
  intervalSeconds: Record<Platform, number>;
  timeoutSeconds: number;
}

/** What a site's Schedule and runs use: its own settings where set, else the defaults. */
export interface CronPolicy {
  everySeconds: number;
  /** A deterministic offset within the interval, so sites on one host do not all start in the same second. */
  offsetSeconds: number;
  timeoutSeconds: number;
  /** Runs missed while Temporal was down are made up within this window (one interval), older ones dropped. */
  catchupWindowSeconds: number;
}

export function cronPolicy(slug: string, platform: Platform, settings: CronSettings, defaults: CronDefaults): CronPolicy {
  const everySeconds = settings.everySeconds ?? defaults.intervalSeconds[platform];
  return {
    everySeconds,
    offsetSeconds: cronOffsetSeconds(slug, everySeconds),
    timeoutSeconds: settings.timeoutSeconds ?? defaults.timeoutSeconds,
    catchupWindowSeconds: Math.max(everySeconds, MIN_INTERVAL_SECONDS),
  };
}

/** FNV-1a of the slug, modulo the interval: stable across runs and hosts. */
export function cronOffsetSeconds(slug: string, everySeconds: number): number {
  let h = 0x811c9dc5;
  for (const ch of slug) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % everySeconds;
}

/**
 * The argv that runs one cron command: `flock -n` so a second run (a retried activity after a
 * lost worker, a manual run) never overlaps one still running in the container, and `timeout`
 * so the command itself stops at the limit; a disconnected `docker exec` would not stop it.
 */
export function guardedCronArgv(argv: string[], timeoutSeconds: number): string[] {
  if (!argv.length) throw new Error('a cron command needs at least a program');
  return ['flock', '-n', '-E', String(CRON_LOCK_BUSY_EXIT), CRON_LOCK_FILE, 'timeout', '-k', `${CRON_KILL_GRACE_SECONDS}s`, `${timeoutSeconds}s`, ...argv];
}

/** Operations on a site that may run while its cron runs: they neither swap its container nor its data. */
export const CRON_SAFE_OPERATIONS: readonly string[] = ['backupSite'];

/** Why the cron of a site must not run now, or undefined when it may. */
export function cronBlockedBy(site: { status: string; activeContainer: string | null }, lifecycle: { type: string; startTime: string } | undefined): string | undefined {
  if (site.status !== 'active') return `site is ${site.status}, not active`;
  if (!site.activeContainer) return 'site has no live web container';
  if (lifecycle && !CRON_SAFE_OPERATIONS.includes(lifecycle.type)) return `site is busy with ${lifecycle.type} since ${lifecycle.startTime}`;
  return undefined;
}

/** The last lines of a command's output, bounded, for failure messages and `cron status`. */
export function outputTail(text: string, lines = 15, maxChars = 2000): string {
  const tail = text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}
