import type { z } from 'zod';
import { migrateSiteInputSchema } from '../../src/migrate/input';
import { backupSiteInputSchema, fleetBackupInputSchema, restoreSiteInputSchema, verifyBackupInputSchema } from '../../src/backup/inputs';
import { ValidationError } from '../../src/site/errors';
import { upgradeFleetInputSchema } from '../../src/site/fleet';
import { rotateSiteSecretsInputSchema } from '../../src/site/secrets';
import { createSiteInputSchema } from '../../src/site/spec';
import { upgradeSiteInputSchema } from '../../src/site/upgrade';
import { parseInput } from '../../src/site/validate';
import { checkPlatformInputSchema } from '../../workflows/checkPlatform';
import { deleteSiteInputSchema } from '../../workflows/deleteSite';
import { siteCronInputSchema } from '../../workflows/siteCron';
import { HOSTILE_IDENTIFIERS, HOSTILE_NUMBERS, HOSTILE_TEXT, NOT_AN_OBJECT } from '../helpers/hostile';

type Kind = 'slug' | 'domain' | 'image' | 'host' | 'backupId' | 'text' | 'number' | 'enum' | 'argv' | 'source';
const BACKUP = '20261128T063000Z-a1b2c3';

/** Every workflow's input: a valid example and the fields a hostile value may be put in. */
const WORKFLOWS: { name: string; schema: z.ZodType; base: Record<string, unknown>; fields: [string, Kind][] }[] = [
  { name: 'checkPlatform', schema: checkPlatformInputSchema, base: {}, fields: [['host', 'host']] },
  {
    name: 'createSite',
    schema: createSiteInputSchema,
    base: { domains: ['acme.example', 'www.acme.example'] },
    fields: [['domains.0', 'domain'], ['domains.1', 'domain'], ['slug', 'slug'], ['platform', 'enum'], ['image', 'image'], ['host', 'host'], ['title', 'text'], ['adminEmail', 'domain'], ['requestedBy', 'text']],
  },
  { name: 'deleteSite', schema: deleteSiteInputSchema, base: { site: 'acme' }, fields: [['site', 'slug'], ['finalBackup', 'enum'], ['requestedBy', 'text']] },
  { name: 'rotateSiteSecrets', schema: rotateSiteSecretsInputSchema, base: { site: 'acme' }, fields: [['site', 'slug'], ['graceSeconds', 'number'], ['requestedBy', 'text']] },
  { name: 'backupSite', schema: backupSiteInputSchema, base: { site: 'acme' }, fields: [['site', 'slug'], ['reason', 'enum'], ['requestedBy', 'text']] },
  {
    name: 'restoreSite',
    schema: restoreSiteInputSchema,
    base: { site: 'acme', backupId: BACKUP, to: 'copy.example' },
    fields: [['site', 'slug'], ['backupId', 'backupId'], ['to', 'domain'], ['slug', 'slug'], ['host', 'host'], ['requestedBy', 'text']],
  },
  { name: 'verifyBackup', schema: verifyBackupInputSchema, base: { site: 'acme' }, fields: [['site', 'slug'], ['backupId', 'backupId'], ['requestedBy', 'text']] },
  { name: 'fleetBackup', schema: fleetBackupInputSchema, base: { sites: ['acme'] }, fields: [['sites.0', 'slug'], ['concurrency', 'number'], ['keepDaily', 'number'], ['keepWeekly', 'number'], ['verifySample', 'number']] },
  {
    name: 'upgradeSite',
    schema: upgradeSiteInputSchema,
    base: { site: 'acme', image: 'tutti/wordpress:php8.4-trixie', extraUpdateSteps: [['php', '-v']] },
    fields: [['site', 'slug'], ['image', 'image'], ['drainSeconds', 'number'], ['extraUpdateSteps.0', 'argv'], ['requestedBy', 'text']],
  },
  { name: 'upgradeFleet', schema: upgradeFleetInputSchema, base: { toImage: 'tutti/wordpress:php8.4-trixie', sites: ['acme'] }, fields: [['toImage', 'image'], ['sites.0', 'slug'], ['batchSize', 'number'], ['drainSeconds', 'number'], ['requestedBy', 'text']] },
  {
    name: 'migrateSite',
    schema: migrateSiteInputSchema,
    base: { domains: ['acme.example'], source: { db: { path: '/srv/import/acme/db.sql.gz' }, files: { s3: 's3://imports/acme/files.tar.gz' } }, stagingDomain: 'acme.staging.example' },
    fields: [['domains.0', 'domain'], ['slug', 'slug'], ['image', 'image'], ['title', 'text'], ['source.db', 'source'], ['source.files', 'source'], ['stagingDomain', 'domain'], ['remindAfterSeconds', 'number'], ['requestedBy', 'text']],
  },
  { name: 'siteCron', schema: siteCronInputSchema, base: { site: 'acme' }, fields: [['site', 'slug'], ['site', 'slug']] },
];

function hostileFor(kind: Kind): unknown[] {
  const wrongTypes = [42, null, ['acme'], { $ne: '' }];
  switch (kind) {
    case 'text':
      return [...HOSTILE_TEXT, 42, null];
    case 'number':
      return HOSTILE_NUMBERS;
    case 'enum':
      return ['WordPress', 'wordpress; rm -rf /', 'true', '', 1, null];
    case 'source':
      return [
        { path: '../../etc/passwd' },
        { path: '/srv/import/../../etc/shadow' },
        { path: 'a\u0000b' },
        { path: `/${'a'.repeat(5000)}` },
        { url: 'http://169.254.169.254/latest/meta-data/' },
        { url: 'file:///etc/passwd' },
        { url: 'http://user:pw@dumps.example.org/db.sql' },
        { url: 'http://127.0.0.1:8080/db.sql\nHost: evil' },
        { s3: 's3://../x' },
        { s3: 'http://bucket/key' },
        { path: '/srv/a', url: 'http://127.0.0.1/a' },
        { $ref: '/etc/passwd' },
        '/srv/import/db.sql',
        {},
        null,
      ];
    case 'argv':
      return [[], ['php', 'a\u0000b'], 'php -v', [['php']], Array(65).fill('x')];
    case 'image':
      return [...HOSTILE_IDENTIFIERS.filter((v) => v !== 'a/b'), ...wrongTypes];
    default:
      return [...HOSTILE_IDENTIFIERS, ...wrongTypes];
  }
}

function withValue(base: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) target = target[k] as Record<string, unknown>;
  target[keys[keys.length - 1]!] = value;
  return copy;
}

function rejection(schema: z.ZodType, input: unknown): ValidationError {
  try {
    parseInput(schema, input);
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(input)?.slice(0, 200)}`);
}

describe.each(WORKFLOWS)('$name input', ({ schema, base, fields }) => {
  it('accepts its valid example', () => {
    expect(() => parseInput(schema, base)).not.toThrow();
  });

  it.each(fields)('rejects every hostile %s, naming the field', (path, kind) => {
    for (const value of hostileFor(kind)) {
      const err = rejection(schema, withValue(base, path, value));
      // The field itself, a part of it (argv entry 3), or for an array element the array (a required one left too few).
      const named = err.field === path || err.field.startsWith(`${path}.`) || err.field === path.replace(/\.[0-9]+$/, '');
      expect(named ? path : err.field).toBe(path);
    }
  });

  it.each(NOT_AN_OBJECT)('rejects %j as the whole input', (input) => {
    expect(rejection(schema, input).field).toBe('input');
  });

  it('rejects unknown fields, prototype keys included', () => {
    expect(rejection(schema, { ...base, $where: '1' }).message).toMatch(/unrecognized key/i);
    expect(rejection(schema, JSON.parse(`{"__proto__": {"admin": true}, ${JSON.stringify(base).slice(1, -1) || '"x": 1'}}`)).message).toMatch(/unrecognized key/i);
  });
});

describe('free text is not identifiers', () => {
  it.each(['Chœur Saint-Michel', 'Хор «Голос»', '合唱団', 'گروه کر می\u200cخواهم', '\u{1f469}\u200d\u{1f3a4} Singers', "O'Brien & Sons; DROP TABLE x; --", '$(id) `uname`'])('a title may be %j', (title) => {
    expect(parseInput(createSiteInputSchema, { domains: ['acme.example'], title }).title).toBe(title);
  });
});

describe('rejections are safe to print', () => {
  it('escapes what would hide or reorder text in a terminal or log', () => {
    const err = rejection(createSiteInputSchema, { domains: ['acme.example'], title: 'acme\u202egnp.exe\u001b[31m' });
    expect(err.message).toMatch(/^title: must not contain control, invisible or text-direction characters \(got "acme\\u\{202e\}gnp\.exe\\u001b\[31m"\)$/);
    expect(err.message).not.toMatch(/[^\x20-\x7e]/);
  });

  it('shows at most 80 characters of an over-long value', () => {
    expect(rejection(deleteSiteInputSchema, { site: 'a'.repeat(10_000) }).message.length).toBeLessThan(200);
  });
});
