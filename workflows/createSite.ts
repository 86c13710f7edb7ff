import { CancellationScope, isCancellation, log, patched, setCurrentDetails } from '@temporalio/workflow';
import { createSiteInputSchema, resolveSiteSpec, slugFromDomain, type CreateSiteInput, type SiteSpec } from '../src/site/spec';
import { errorMessage, HOST_STEP, REGISTRY, requireSiteWorkflowId, tagRun, validated, recordStart } from './common';
import { hostActivities, sharedActivities } from './hostActivities';
import { issueSiteCertificate, TLS_PATCH } from './certificateStep';

export interface CreateSiteResult {
  slug: string;
  domains: string[];
  url: string;
  host: string;
  image: string;
  imageId: string;
  container: string;
}

/**
 * A new site: registry claim, secrets, database and user, network and volume, web container,
 * platform install, Varnish route, then a check through Varnish. Any failure, or a
 * cancellation, removes everything this run made.
 */
export async function createSite(rawInput: CreateSiteInput): Promise<CreateSiteResult> {
  const input = validated(createSiteInputSchema, rawInput);
  requireSiteWorkflowId(input.slug ?? slugFromDomain(input.domains[0]!));
  const registry = sharedActivities(REGISTRY);
  const spec: SiteSpec = resolveSiteSpec(input, await registry.siteDefaults());
  tagRun({ site: spec.slug, domains: spec.domains, host: spec.host, operation: 'createSite' });
  await recordStart({ slug: spec.slug, operation: 'createSite', requestedBy: input.requestedBy });

  const host = hostActivities(spec.host, HOST_STEP);
  const step = (what: string) => {
    setCurrentDetails(`${spec.slug}: ${what}`);
    log.info(what, { site: spec.slug });
  };

  step('claiming slug and domains');
  try {
    await registry.claimSite(spec);
  } catch (err) {
    await registry.auditEnd('failed', errorMessage(err));
    throw err;
  }

  try {
    step('generating secrets');
    await host.ensureSiteSecrets(spec);
    step('creating database, user, network and files volume');
    await Promise.all([host.ensureSiteDatabase(spec), host.ensureSiteNetwork(spec), host.ensureFilesVolume(spec)]);
    step(`starting web container from ${spec.image}`);
    const web = await host.ensureWebContainer(spec, 'blue', spec.image);
    await host.waitWebHealthy(spec, web.name);
    step(`installing ${spec.platform}`);
    await host.installPlatform(spec, web.name);
    step('routing through Varnish');
    await registry.setSiteState(spec.slug, { activeContainer: web.name, imageId: web.imageId });
    await host.syncRoutes(spec.host);
    step('checking the site through Varnish');
    await host.checkSiteAnswers(spec, { title: spec.title });
    await registry.setSiteState(spec.slug, { status: 'active' });
    const tls = patched(TLS_PATCH) ? await issueSiteCertificate(spec, step) : 'https off';
    if (patched(CRON_SCHEDULE_PATCH)) {
      step('creating the cron schedule');
      await registry.ensureCronSchedule(spec.slug);
    }
    step('active');
    await registry.auditEnd('completed', `created with ${spec.image}; ${tls}`);
    return { slug: spec.slug, domains: spec.domains, url: `http://${spec.domains[0]}/`, host: spec.host, image: spec.image, imageId: web.imageId, container: web.name };
  } catch (err) {
    step(`failed: ${errorMessage(err)}; removing what was made`);
    // Compensation runs even when the workflow was cancelled.
    await CancellationScope.nonCancellable(async () => {
      await removeSite(spec, hostActivities(spec.host, HOST_STEP), registry);
      await registry.auditEnd(isCancellation(err) ? 'cancelled' : 'failed', errorMessage(err));
    });
    throw err;
  }
}

/** Runs started before sites had cron schedules replay without these steps. */
const CRON_SCHEDULE_PATCH = 'site-cron-schedule';

/** Unroute first, then remove resources, then forget: Varnish never routes to a removed container. */
export async function removeSite(spec: Pick<SiteSpec, 'slug' | 'host'>, host: ReturnType<typeof hostActivities>, registry: ReturnType<typeof sharedActivities>): Promise<string[]> {
  // No cron starts against a site being taken apart; its schedule goes first.
  if (patched(CRON_SCHEDULE_PATCH)) await registry.removeCronSchedule(spec.slug);
  await registry.setSiteState(spec.slug, { status: 'deleting', activeContainer: null });
  await host.syncRoutes(spec.host);
  if (patched(TLS_PATCH)) await host.removeCertificate(spec.slug);
  const removed = await host.removeSiteResources(spec.slug);
  await registry.forgetSite(spec.slug);
  return removed;
}
