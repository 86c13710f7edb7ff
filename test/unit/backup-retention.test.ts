import { isoWeek, planRetention } from '../../src/backup/retention';

const id = (iso: string, tag = 'aaaaaa') => `${iso.replace(/[-:]/g, '').slice(0, 15)}Z-${tag}`;

describe('retention', () => {
  const now = new Date('2026-11-28T03:00:00Z');

  it('keeps the newest good backup when every newer one failed, even with a zero policy', () => {
    const backups = [
      { id: id('2026-11-20T02:30:00'), good: true },
      { id: id('2026-11-21T02:30:00'), good: false },
      { id: id('2026-11-22T02:30:00'), good: false },
      { id: id('2026-11-28T02:30:00'), good: false },
    ];
    const plan = planRetention(backups, { keepDaily: 0, keepWeekly: 0 }, now);
    expect(plan.keep.map((k) => k.id)).toEqual([id('2026-11-28T02:30:00'), id('2026-11-20T02:30:00')]);
    expect(plan.keep.find((k) => k.id === id('2026-11-20T02:30:00'))?.why).toContain('newest good backup');
    // failed ones go once they cannot be running any more; the one from 30 minutes ago stays
    expect(plan.remove.map((r) => r.id).sort()).toEqual([id('2026-11-21T02:30:00'), id('2026-11-22T02:30:00')]);
  });

  it('keeps the newest of each of the last N days and M weeks that have a good backup', () => {
    const backups = [];
    for (let d = 1; d <= 28; d++) {
      const day = `2026-11-${String(d).padStart(2, '0')}`;
      backups.push({ id: id(`${day}T02:30:00`, 'night0'), good: true });
      backups.push({ id: id(`${day}T14:00:00`, 'manual'), good: true });
    }
    const plan = planRetention(backups, { keepDaily: 3, keepWeekly: 2 }, now);
    const kept = plan.keep.map((k) => k.id).sort();
    expect(kept).toEqual(
      [
        id('2026-11-22T14:00:00', 'manual'), // newest of week 2026-W47 (Nov 16-22)
        id('2026-11-26T14:00:00', 'manual'),
        id('2026-11-27T14:00:00', 'manual'),
        id('2026-11-28T14:00:00', 'manual'), // newest overall, of today and of week W48
      ].sort(),
    );
    expect(plan.remove).toHaveLength(backups.length - 4);
  });

  it('never plans to remove a good backup without keeping a newer good one', () => {
    for (let seed = 1; seed < 200; seed++) {
      let x = seed;
      const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const backups = Array.from({ length: 1 + Math.floor(rnd() * 30) }, (_, i) => ({
        id: id(new Date(now.getTime() - Math.floor(rnd() * 90 * 86_400_000)).toISOString(), `t${String(i).padStart(5, '0')}`),
        good: rnd() < 0.5,
      }));
      const plan = planRetention(backups, { keepDaily: Math.floor(rnd() * 3), keepWeekly: Math.floor(rnd() * 3) }, now);
      const goods = backups.filter((b) => b.good).map((b) => b.id).sort();
      if (goods.length) expect(plan.keep.map((k) => k.id)).toContain(goods[goods.length - 1]);
      expect(plan.keep.length + plan.remove.length).toBe(backups.length);
    }
  });

  it('labels ISO weeks across year ends', () => {
    expect(isoWeek(new Date('2026-11-28T00:00:00Z'))).toBe('2026-W48');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
  });
});
