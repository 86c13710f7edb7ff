import { backupIdFor, backupTime, shortHash } from '../../src/backup/ids';
import { backupPrefix, objectKey, parseObjectKey } from '../../src/backup/layout';
import { drillSite, restoreSiteInputSchema } from '../../src/backup/inputs';
import { boundedAll, rotatingSample, staleSites } from '../../src/backup/report';
import { domainSchema, backupIdSchema, slugSchema } from '../../src/site/validate';

describe('backup IDs', () => {
  it('are the run start in UTC and a hash of the run ID, valid by backupIdSchema', () => {
    const id = backupIdFor(new Date('2026-11-28T06:30:05.999Z'), 'run-1');
    expect(id).toMatch(/^20261128T063005Z-[a-z0-9]{6}$/);
    expect(backupIdSchema.safeParse(id).success).toBe(true);
    expect(backupIdFor(new Date('2026-11-28T06:30:05.999Z'), 'run-1')).toBe(id);
    expect(backupIdFor(new Date('2026-11-28T06:30:05.999Z'), 'run-2')).not.toBe(id);
  });

  it('give back their time; anything else gives undefined', () => {
    expect(backupTime('20261128T063005Z-abc123')?.toISOString()).toBe('2026-11-28T06:30:05.000Z');
    expect(backupTime('20261340T063005Z-abc123')).toBeUndefined();
    expect(backupTime('latest')).toBeUndefined();
  });

  it('hash to six base-36 characters, spread out', () => {
    const tags = new Set(Array.from({ length: 2000 }, (_, i) => shortHash(`0b6f3c3e-${i}`)));
    expect(tags.size).toBeGreaterThan(1990);
    for (const t of tags) expect(t).toMatch(/^[a-z0-9]{6}$/);
  });
});

describe('bucket layout', () => {
  it('puts every object under <prefix>/<site>/<id>/ and parses keys back', () => {
    expect(backupPrefix('sites', 'acme', '20261128T063005Z-abc123')).toBe('sites/acme/20261128T063005Z-abc123/');
    const key = objectKey('sites', 'acme', '20261128T063005Z-abc123', 'db.sql.gz');
    expect(parseObjectKey('sites', key)).toEqual({ slug: 'acme', backupId: '20261128T063005Z-abc123', name: 'db.sql.gz' });
    expect(parseObjectKey('sites', 'other/acme/x/db.sql.gz')).toBeUndefined();
    expect(parseObjectKey('sites', 'sites/acme/db.sql.gz')).toBeUndefined();
    expect(parseObjectKey('sites', 'sites/acme/x/y/z')).toBeUndefined();
  });
});

describe('restore drill site', () => {
  it('has a valid slug and a .invalid domain, even for the longest slug', () => {
    for (const site of ['ab', 'a-very-long-site-slug-of-30-ch', 'x1']) {
      const d = drillSite(site, '20261128T063005Z-0a1b2c');
      expect(slugSchema.safeParse(d.slug).success).toBe(true);
      expect(domainSchema.safeParse(d.domain).success).toBe(true);
      expect(d.domain.endsWith('.invalid')).toBe(true);
    }
  });

  it('restore input: slug only goes with --to', () => {
    expect(restoreSiteInputSchema.safeParse({ site: 'acme', backupId: '20261128T063005Z-0a1b2c', slug: 'copy' }).success).toBe(false);
    expect(restoreSiteInputSchema.safeParse({ site: 'acme', backupId: '20261128T063005Z-0a1b2c', slug: 'copy', to: 'copy.example' }).success).toBe(true);
    expect(restoreSiteInputSchema.safeParse({ site: 'acme', backupId: 'latest' }).success).toBe(false);
  });
});

describe('fleet report helpers', () => {
  const now = new Date('2026-11-28T06:00:00Z');
  it('lists sites without a good backup younger than the limit, and sites with none', () => {
    const stale = staleSites(
      [
        { site: 'fresh', newestGood: '20261127T070000Z-aaaaaa' },
        { site: 'old', newestGood: '20261127T030000Z-bbbbbb' },
        { site: 'never', newestGood: null },
      ],
      now,
      26,
    );
    expect(stale).toEqual([
      { site: 'never', newestGood: null, ageHours: null },
      { site: 'old', newestGood: '20261127T030000Z-bbbbbb', ageHours: 27 },
    ]);
  });

  it('rotates the restore-drill sample through every site', () => {
    const sites = ['a', 'b', 'c', 'd', 'e'];
    const seen = new Set<string>();
    for (let d = 0; d < 5; d++) for (const s of rotatingSample(sites, 1, new Date(now.getTime() + d * 86_400_000))) seen.add(s);
    expect([...seen].sort()).toEqual(sites);
    expect(rotatingSample(sites, 2, now)).toHaveLength(2);
    expect(rotatingSample(sites, 0, now)).toEqual([]);
    expect(rotatingSample(['b', 'a'], 5, now)).toEqual(['a', 'b']);
  });

  it('runs at most N at a time and settles every item when some fail', async () => {
    let running = 0;
    let peak = 0;
    const results = await boundedAll([1, 2, 3, 4, 5, 6], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n % 3 === 0) throw new Error(`site ${n} failed`);
      return n * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    expect(results[1]).toEqual({ status: 'fulfilled', value: 20 });
  });
});
