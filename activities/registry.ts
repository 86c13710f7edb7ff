import { Context } from '@temporalio/activity';
import { auditEnd, auditStart, claimSite, forgetSite, getSite, listSites, updateSite, type SiteRecord, type SiteUpdate } from '../src/infra/registry';
import type { SiteSpec } from '../src/site/spec';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

function currentRun(): { workflowId: string; runId: string } {
  const exec = Context.current().info.workflowExecution;
  if (!exec) throw new Error('registry activities run inside a workflow');
  return exec;
}

/** The registry and audit log, written only here, each write an idempotent upsert. */
export function createRegistryActivities(deps: ActivityDeps) {
  const { cfg } = deps;
  return classified({
    async siteDefaults(): Promise<{ host: string; wordpressImage: string; drupalImage: string; drupalCivicrmImage: string }> {
      return { host: cfg.hostName, ...cfg.defaults };
    },

    /** Claims slug and domains for this workflow run; another site's slug or domain fails non-retryably. */
    async claimSite(spec: SiteSpec): Promise<void> {
      await claimSite(deps.db(), spec, currentRun().runId);
    },

    async setSiteState(slug: string, fields: SiteUpdate): Promise<void> {
      await updateSite(deps.db(), slug, fields);
    },

    async getSite(slug: string): Promise<SiteRecord | null> {
      return (await getSite(deps.db(), slug)) ?? null;
    },

    async listSites(host?: string): Promise<SiteRecord[]> {
      return listSites(deps.db(), host);
    },

    async forgetSite(slug: string): Promise<void> {
      await forgetSite(deps.db(), slug);
    },

    /** Records the start of an operation and returns who started it: the input's requestedBy, else the run's first history event's identity (UI or CLI). */
    async auditStart(entry: { slug?: string; operation: string; requestedBy?: string; startedAt: string }): Promise<string> {
      const run = currentRun();
      const startedBy = entry.requestedBy ?? (await deps.starterIdentity(run.workflowId, run.runId));
      await auditStart(deps.db(), { runId: run.runId, workflowId: run.workflowId, slug: entry.slug, operation: entry.operation, startedBy, startedAt: entry.startedAt });
      return startedBy;
    },

    async auditEnd(result: 'completed' | 'failed' | 'cancelled', detail: string): Promise<void> {
      await auditEnd(deps.db(), currentRun().runId, result, detail);
    },
  });
}
