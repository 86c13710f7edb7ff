import { backupTime } from './ids';

export interface RetentionPolicy {
  /** Newest good backup of each of the last N days that have one. */
  keepDaily: number;
  /** Newest good backup of each of the last M ISO weeks that have one. */
  keepWeekly: number;
}

export interface BackupState {
  id: string;
  /** Manifest present and valid, every object present with the manifest's size. */
  good: boolean;
}

export interface RetentionPlan {
  keep: { id: string; why: string[] }[];
  remove: { id: string; why: string }[];
}

/** Backups without a manifest younger than this may still be running: they are left alone. */
export const INCOMPLETE_GRACE_HOURS = 24;

/**
 * Which backups of one site to keep. The newest good backup is always kept, whatever the policy
 * and however many newer backups failed; bad or incomplete ones go once they are old enough not
 * to be still running. Pure: the same listing and clock give the same plan.
 */
export function planRetention(backups: BackupState[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const dated = backups
    .map((b) => ({ ...b, at: backupTime(b.id) }))
    .filter((b): b is BackupState & { at: Date } => b.at !== undefined)
    .sort((a, b) => b.at.getTime() - a.at.getTime() || b.id.localeCompare(a.id));
  const why = new Map<string, string[]>();
  const keep = (id: string, reason: string) => why.set(id, [...(why.get(id) ?? []), reason]);

  const good = dated.filter((b) => b.good);
  if (good[0]) keep(good[0].id, 'newest good backup');
  const bucketed = (label: (d: Date) => string, limit: number, name: string) => {
    const seen = new Set<string>();
    for (const b of good) {
      const bucket = label(b.at);
      if (seen.has(bucket)) continue;
      if (seen.size >= limit) break;
      seen.add(bucket);
      keep(b.id, `${name} ${bucket}`);
    }
  };
  bucketed((d) => d.toISOString().slice(0, 10), policy.keepDaily, 'daily');
  bucketed(isoWeek, policy.keepWeekly, 'weekly');

  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const b of dated) {
    const reasons = why.get(b.id);
    if (reasons) plan.keep.push({ id: b.id, why: reasons });
    else if (b.good) plan.remove.push({ id: b.id, why: 'outside the daily and weekly windows' });
    else if (now.getTime() - b.at.getTime() > INCOMPLETE_GRACE_HOURS * 3_600_000) plan.remove.push({ id: b.id, why: 'incomplete or damaged, older than 24 h' });
    else plan.keep.push({ id: b.id, why: ['incomplete, may still be running'] });
  }
  return plan;
}

/** ISO 8601 week label such as 2026-W48. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
