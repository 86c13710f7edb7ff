import { ApplicationFailure, CancellationScope, isCancellation, log, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../src/site/errors';
import { rotateSiteSecretsInputSchema, type RotateSiteSecretsInput, type RotateSiteSecretsResult } from '../src/site/secrets';
import { errorMessage, HOST_STEP, REGISTRY, requireSiteWorkflowId, tagRun, validated } from './common';
import { hostActivities, sharedActivities } from './hostActivities';

/**
 * A new DB password for a site while it keeps serving: MariaDB accepts the old and the new one,
 * the mounted password file switches in one rename (the web container reads it on every
 * request), and after a grace period only the new one works. A failure at any step leaves the
 * site on the password its container reads.
 */
export async function rotateSiteSecrets(rawInput: RotateSiteSecretsInput): Promise<RotateSiteSecretsResult> {
  const input = validated(rotateSiteSecretsInputSchema, rawInput);
  requireSiteWorkflowId(input.site);
  const registry = sharedActivities(REGISTRY);
  const site = await registry.getSite(input.site);
  if (!site) throw ApplicationFailure.nonRetryable(`site ${input.site} does not exist; see tutti site list`, FailureType.SiteNotFound);
  const spec = site.spec;
  tagRun({ site: spec.slug, domains: spec.domains, host: spec.host, operation: 'rotateSiteSecrets' });
  await registry.auditStart({ slug: spec.slug, operation: 'rotateSiteSecrets', requestedBy: input.requestedBy, startedAt: workflowInfo().startTime.toISOString() });
  const host = hostActivities(spec.host, HOST_STEP);
  const step = (what: string) => {
    setCurrentDetails(`${spec.slug}: ${what}`);
    log.info(what, { site: spec.slug });
  };

  try {
    step('generating a new DB password');
    await host.stageDbPassword(spec.slug);
    step('MariaDB accepts the old and the new password');
    await host.acceptBothDbPasswords(spec.slug);
    step('switching the mounted password file');
    await host.switchDbPasswordFile(spec);
    step(`waiting ${input.graceSeconds} s for requests that read the old password`);
    await sleep(input.graceSeconds * 1000);
    step('retiring the old password');
    const settled = await host.settleDbPassword(spec.slug);
    step('checking the site through Varnish');
    // Any 200 page: the title may have changed since the site was created.
    await host.checkSiteAnswers(spec, '');
    step('rotated');
    await registry.auditEnd('completed', 'rotated db_password');
    return { slug: spec.slug, rotated: ['db_password'], oldPasswordRefused: settled.oldRefused };
  } catch (err) {
    step(`failed: ${errorMessage(err)}; keeping the password the container reads`);
    await CancellationScope.nonCancellable(async () => {
      await host.settleDbPassword(spec.slug).catch(() => undefined);
      await registry.auditEnd(isCancellation(err) ? 'cancelled' : 'failed', errorMessage(err));
    });
    throw err;
  }
}
