import { slugSchema } from './validate';

// `site/<slug>` (lifecycle), `verify-backup/<slug>` (restore drill), `cron/<slug>` with the
// `-<scheduled time>` a Schedule appends (`cron/acme-2026-11-28T07:05:00Z`).
const SITE_RUN = /^(?:site|verify-backup|cron)\/(.+?)(?:-\d{4}-\d{2}-\d{2}T[0-9:.]+Z)?$/;

/** The site a run belongs to, read from its workflow ID; undefined for fleet-wide runs. */
export function siteOfWorkflowId(workflowId: string): string | undefined {
  const slug = SITE_RUN.exec(workflowId)?.[1];
  return slug !== undefined && slugSchema.safeParse(slug).success ? slug : undefined;
}

/**
 * The site an activity works on: its workflow's, else the `site` or `slug` field of its first
 * argument (a fleet run's per-site steps), when that is a valid slug.
 */
export function siteOfActivity(workflowId: string | undefined, args: readonly unknown[]): string | undefined {
  const fromId = workflowId === undefined ? undefined : siteOfWorkflowId(workflowId);
  if (fromId) return fromId;
  const first = args[0];
  if (first === null || typeof first !== 'object') return undefined;
  const { site, slug } = first as { site?: unknown; slug?: unknown };
  const candidate = typeof site === 'string' ? site : typeof slug === 'string' ? slug : undefined;
  return candidate !== undefined && slugSchema.safeParse(candidate).success ? candidate : undefined;
}
