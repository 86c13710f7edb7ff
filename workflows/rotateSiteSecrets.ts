import { CancellationScope, isCancellation, patched, sleep } from '@temporalio/workflow';
import type { PageExpectation } from '../src/site/pageCheck';
import { rotateSiteSecretsInputSchema, type RotateSiteSecretsInput, type RotateSiteSecretsResult } from '../src/site/secrets';
import { beginSiteOperation, errorMessage, validated } from './common';

/**
 * A new DB password for a site while it keeps serving: MariaDB accepts the old and the new one,
 * the mounted password file switches in one rename (the web container reads it on every
 * request), and after a grace period only the new one works. A failure at any step leaves the
 * site on the password its container reads.
 */
export async function rotateSiteSecrets(rawInput: RotateSiteSecretsInput): Promise<RotateSiteSecretsResult> {
  const input = validated(rotateSiteSecretsInputSchema, rawInput);
  const { site, spec, registry, host, step } = await beginSiteOperation(input.site, 'rotateSiteSecrets', input.requestedBy);

  // Compared after the switch: what the site serves now, not the title it had when it was created.
  const live: PageExpectation = patched('check-live-answer') && site.activeContainer ? await host.siteServesNow(spec, site.activeContainer) : { health: true };
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
    await host.checkSiteAnswers(spec, live);
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
