import { createSiteInputSchema, slugFromDomain } from '../../src/site/spec';
import { ValidationError } from '../../src/site/errors';
import { domainSchema, imageSchema, parseInput, slugSchema } from '../../src/site/validate';
import { grantDbPattern, quoteId } from '../../src/infra/mariadb';
import { siteNames } from '../../src/site/names';

const hostileSlugs = ['a_b', 'a%', 'x`;DROP', '-rf', '$(id)', '../x', 'a'.repeat(31), 'A', 'ab-', 'a--b', 'é', 'a b', ''];
const hostileDomains = ['Example.org', 'exämple.org', 'example', '-a.org', 'a..org', 'a.org;', '$(id).org', '../x.org', `${'a'.repeat(64)}.org`, '127.0.0.1', 'a.org/x', 'a.org:80', ' a.org'];

describe('slug validation', () => {
  it.each(hostileSlugs)('rejects %j', (slug) => {
    expect(slugSchema.safeParse(slug).success).toBe(false);
  });
  it.each(['ab', 'acme', 'acme-2', 'a1'])('accepts %j', (slug) => {
    expect(slugSchema.parse(slug)).toBe(slug);
  });
});

describe('domain validation', () => {
  it.each(hostileDomains)('rejects %j', (d) => {
    expect(domainSchema.safeParse(d).success).toBe(false);
  });
  it.each(['a.example', 'www.acme-example.org', 'xn--exmple-cua.org'])('accepts %j', (d) => {
    expect(domainSchema.parse(d)).toBe(d);
  });
});

describe('image validation', () => {
  it.each(['tutti/wordpress:php8.2-bookworm', 'registry.example.org:5000/a/b:1.0', `x/y@sha256:${'a'.repeat(64)}`])('accepts %j', (i) => {
    expect(imageSchema.parse(i)).toBe(i);
  });
  it.each(['-rf', 'a b', 'a;b', 'UPPER/case', 'x:$(id)', ''])('rejects %j', (i) => {
    expect(imageSchema.safeParse(i).success).toBe(false);
  });
});

describe('parseInput', () => {
  it('names the offending field and value', () => {
    expect(() => parseInput(createSiteInputSchema, { domains: ['a.example', 'B.example'] })).toThrow(
      new ValidationError('domains.1', 'must be lowercase (got "B.example")'),
    );
  });
  it('rejects unknown fields, so a typo in the UI is not silently ignored', () => {
    expect(() => parseInput(createSiteInputSchema, { domains: ['a.example'], slgu: 'x' })).toThrow(/unrecognized/i);
  });
  it('rejects repeated domains', () => {
    expect(() => parseInput(createSiteInputSchema, { domains: ['a.example', 'a.example'] })).toThrow(/domains: must not repeat/);
  });
  it('fills defaults', () => {
    expect(parseInput(createSiteInputSchema, { domains: ['a.example'] }).platform).toBe('wordpress');
  });
});

describe('derived names', () => {
  it('derives a valid slug from any valid domain', () => {
    for (const d of ['www.acme-example.org', '1and1.example', 'a.example', `${'b'.repeat(63)}.org`]) {
      expect(slugSchema.safeParse(slugFromDomain(d)).success).toBe(true);
    }
    expect(slugFromDomain('www.acme-example.org')).toBe('acme-example');
  });
  it('escapes grant wildcards so a user for a_b cannot reach aXb', () => {
    const { database } = siteNames('tutti', 'a-b');
    expect(database).toBe('tutti_a_b');
    expect(grantDbPattern(database)).toBe('`tutti\\_a\\_b`');
  });
  it('refuses unsafe identifiers', () => {
    expect(() => quoteId('a`b')).toThrow(/unsafe/);
    expect(() => quoteId('a%')).toThrow(/unsafe/);
  });
});
