import { z } from 'zod';
import { ValidationError } from './errors';

/**
 * The single input-validation module for every entry point: CLI, UI-started workflows and
 * schedules all parse through these schemas, so a value is judged the same way everywhere.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const slugSchema = z
  .string()
  .min(2, 'must be 2 to 30 characters')
  .max(30, 'must be 2 to 30 characters')
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, "must be lowercase letters, digits and '-', start with a letter and not end with '-'")
  .refine((s) => !s.includes('--'), "must not contain '--'");

export const domainSchema = z
  .string()
  .max(253, 'must be at most 253 characters')
  .refine((d) => d === d.toLowerCase(), 'must be lowercase')
  .refine((d) => d.split('.').length >= 2 && d.split('.').every((l) => LABEL.test(l)), 'must be a hostname such as www.example.org (ASCII letters, digits, - and dots; use punycode for IDNs)')
  .refine((d) => !/^[0-9.]+$/.test(d), 'must be a hostname, not an IP address');

// name[:tag][@sha256:digest], optionally with a registry host[:port]; no whitespace, no leading '-'.
const IMAGE = /^(?:[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const imageSchema = z.string().max(255, 'must be at most 255 characters').regex(IMAGE, 'must be an image reference such as tutti/wordpress:php8.2-bookworm');

export const hostSchema = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a host name: lowercase letters, digits and -');

export const platformSchema = z.enum(['wordpress', 'drupal', 'drupal-civicrm'], { error: 'must be wordpress, drupal or drupal-civicrm' });
export type Platform = z.infer<typeof platformSchema>;

// C0/C1 controls, DEL, bidi marks, overrides and isolates, zero-width space, word joiners, BOM and
// line separators: invisible or reordering characters that make a value look like something
// else in the UI, a log or a shell. Zero-width (non-)joiners stay: Persian and emoji need them.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/u;

/** One line of human text (a title, a name): any script, but nothing invisible or reordering. */
export function plainTextSchema(max: number) {
  return z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !HIDDEN.test(s), 'must not contain control, invisible or text-direction characters')
    .refine((s) => !/\p{Cs}/u.test(s), 'must be well-formed Unicode (no lone surrogates)')
    .refine((s) => s.trim() === s, 'must not start or end with spaces');
}

export const titleSchema = plainTextSchema(120);

/** A platform's table prefix as WordPress's wp-config accepts it. */
export const tablePrefixSchema = z.string().regex(/^[A-Za-z0-9_]{1,20}$/, 'must be 1-20 letters, digits or _');

/** Who asked for an operation (audit log): free text, but one line. */
export const requestedBySchema = plainTextSchema(120);

export const emailSchema = z.string().max(254).regex(/^[A-Za-z0-9._+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/, 'must be an e-mail address');

/**
 * Where a migration reads a dump or archive from: an absolute path on the Docker host, an S3
 * object (`s3://bucket/key`), or an HTTP(S) URL on loopback (a source the operator staged).
 */
export const migrationSourceSchema = z.union(
  [
    z.object({ path: z.string().max(4096).regex(/^\/[^\0]*$/, 'must be an absolute path on the Docker host').refine((p) => !p.split('/').includes('..'), "must not contain '..'") }).strict(),
    z.object({ s3: z.string().max(1100).regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{2,62}\/[^\0]+$/, 'must be s3://bucket/key') }).strict(),
    z
      .object({ url: z.string().max(2048).regex(/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?\/[^\s]*$/, 'must be an http(s) URL on loopback (127.0.0.1, localhost or [::1])') })
      .strict(),
  ],
  { error: 'must be {"path": "/abs/file"}, {"s3": "s3://bucket/key"} or {"url": "http://127.0.0.1:port/file"}' },
);
export type MigrationSource = z.infer<typeof migrationSourceSchema>;

export const backupIdSchema = z
  .string()
  .regex(/^[0-9]{8}T[0-9]{6}Z-[a-z0-9]{6}$/, 'must be a backup ID such as 20261128T063000Z-a1b2c3')
  .refine((id) => {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})/.exec(id);
    if (!m) return true; // the pattern above has said what is wrong
    const [, y, mo, d, h, mi, se] = m.map(Number);
    const t = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
    return t.getUTCMonth() === mo! - 1 && t.getUTCDate() === d! && h! < 24 && mi! < 60 && se! < 60;
  }, 'must be a backup ID whose time is a real UTC date, such as 20261128T063000Z-a1b2c3');

/**
 * Parses `input` with `schema`; on failure throws a {@link ValidationError} naming the first
 * offending field (e.g. `domains.1: must be lowercase`).
 */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what = 'input'): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : what;
  const received = valueAt(input, issue.path);
  const shown = received === undefined ? '' : ` (got ${printable(JSON.stringify(received)?.slice(0, 80) ?? '')})`;
  throw new ValidationError(field, `${issue.message}${shown}`);
}

/** Non-ASCII as \u{…} escapes, so echoing a hostile value cannot reorder or hide text in a terminal or log. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (ch) => [...ch].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join(''));
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}
