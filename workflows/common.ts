import { ApplicationFailure, log, patched, setCurrentDetails, upsertSearchAttributes, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { hostActivities, sharedActivities } from './hostActivities';
import type { z } from 'zod';
import { FailureType, ValidationError } from '../src/site/errors';
import { siteWorkflowId } from '../src/site/names';
import { SA } from '../src/site/searchAttributes';
import { parseInput } from '../src/site/validate';

/** Registry reads and writes. */
export const REGISTRY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second', maximumInterval: '10 seconds' },
};

/** Docker, MariaDB and Varnish steps: short, heartbeating when long, retried after a lost worker within 20 s. */
export const HOST_STEP: ActivityOptions = {
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds' },
};

/** First line of every workflow: the input is parsed by the shared schemas, or the run fails naming the field. */
export function validated<T>(schema: z.ZodType<T>, input: unknown): T {
  try {
    return parseInput(schema, input);
  } catch (err) {
    if (err instanceof ValidationError) throw ApplicationFailure.nonRetryable(`invalid input: ${err.message}`, FailureType.InvalidInput);
    throw err;
  }
}

/** Lifecycle runs of a site share the ID `site/<slug>`, which is what makes them one-at-a-time. */
export function requireSiteWorkflowId(slug: string): void {
  const expected = siteWorkflowId(slug);
  if (workflowInfo().workflowId !== expected) {
    throw ApplicationFailure.nonRetryable(
      `workflow ID must be ${expected} (one operation per site at a time); start it again with that ID`,
      FailureType.InvalidInput,
    );
  }
}

/** Tags the run so the UI can filter by site, domain, host and operation. */
export function tagRun(tags: { site?: string; domains?: string[]; host?: string; operation: string; stage?: string }): void {
  const pairs = [
    { key: SA.operation, value: tags.operation },
    ...(tags.site ? [{ key: SA.site, value: tags.site }] : []),
    ...(tags.domains ? [{ key: SA.domain, value: tags.domains }] : []),
    ...(tags.host ? [{ key: SA.host, value: tags.host }] : []),
    ...(tags.stage ? [{ key: SA.stage, value: tags.stage }] : []),
  ];
  upsertSearchAttributes(pairs as Parameters<typeof upsertSearchAttributes>[0]);
}

/**
 * Writes the start of an operation to the audit log, and tags the run with who started it when
 * its starter did not (a run started from the UI's form carries no TuttiStartedBy of its own).
 */
export async function recordStart(entry: { slug?: string; operation: string; requestedBy?: string }): Promise<void> {
  const startedBy = await sharedActivities(REGISTRY).auditStart({ ...entry, startedAt: workflowInfo().startTime.toISOString() });
  // runs that began before this tag existed replay without it
  if (patched('tag-started-by') && typeof startedBy === 'string' && !workflowInfo().typedSearchAttributes.get(SA.startedBy)) {
    upsertSearchAttributes([{ key: SA.startedBy, value: startedBy }]);
  }
}

/** What an Update's validator throws: the caller (CLI or the UI's update dialog) reads the reason as is. */
export function refused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.UpdateRefused, message, nonRetryable: true });
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApplicationFailure || err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/**
 * The start of every operation on an existing site: the run holds the site's workflow ID, the
 * site exists, the run is tagged for the UI and its start is in the audit log. `step` reports
 * progress as the run's current details.
 */
export async function beginSiteOperation(slug: string, operation: string, requestedBy: string | undefined) {
  requireSiteWorkflowId(slug);
  const registry = sharedActivities(REGISTRY);
  const site = await registry.getSite(slug);
  if (!site) throw ApplicationFailure.nonRetryable(`site ${slug} does not exist; see tutti site list`, FailureType.SiteNotFound);
  const spec = site.spec;
  tagRun({ site: spec.slug, domains: spec.domains, host: spec.host, operation });
  await recordStart({ slug: spec.slug, operation, requestedBy });
  const step = (what: string) => {
    setCurrentDetails(`${spec.slug}: ${what}`);
    log.info(what, { site: spec.slug, operation });
  };
  return { site, spec, registry, host: hostActivities(spec.host, HOST_STEP), step };
}
