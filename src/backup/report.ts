import { backupTime } from './ids';

/** One site's line in the fleet report. */
export interface SiteBackupStatus {
  site: string;
  /** Newest good backup, if any. */
  newestGood: string | null;
  ageHours: number | null;
}

/** Sites whose newest good backup is older than `hours`, or that have none. */
export function staleSites(statuses: { site: string; newestGood: string | null }[], now: Date, hours: number): SiteBackupStatus[] {
  return statuses
    .map((s) => {
      const at = s.newestGood ? backupTime(s.newestGood) : undefined;
      const ageHours = at ? Math.round(((now.getTime() - at.getTime()) / 3_600_000) * 10) / 10 : null;
      return { site: s.site, newestGood: s.newestGood, ageHours };
    })
    .filter((s) => s.ageHours === null || s.ageHours > hours)
    .sort((a, b) => a.site.localeCompare(b.site));
}

/**
 * The sites whose newest backup gets a restore drill tonight: `sample` consecutive sites of the
 * sorted list, starting where yesterday's sample ended, so every site comes round in turn.
 */
export function rotatingSample(sites: string[], sample: number, day: Date): string[] {
  const sorted = [...new Set(sites)].sort();
  if (sample <= 0 || sorted.length === 0) return [];
  if (sample >= sorted.length) return sorted;
  const dayNumber = Math.floor(day.getTime() / 86_400_000);
  const start = (dayNumber * sample) % sorted.length;
  return Array.from({ length: sample }, (_, i) => sorted[(start + i) % sorted.length]!);
}

/** Runs `fn` over `items` with at most `limit` at a time; settles every item (one failure stops none). */
export async function boundedAll<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, runner));
  return results;
}

/** The innermost cause's message: "Child Workflow execution failed: Activity task failed" hides the reason a person needs. */
export function innermostMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
