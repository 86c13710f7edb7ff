import { log, type ActivityOptions } from '@temporalio/workflow';
import type { SiteSpec } from '../src/site/spec';
import { httpsModeOf } from '../src/site/tls';
import { errorMessage } from './common';
import { hostActivities } from './hostActivities';

/** One ACME order: a few minutes at most; a retry after a lost worker or a transient ACME error backs off. */
export const CERT_STEP: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '60 seconds',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Runs that began before sites had certificates replay without these steps. */
export const TLS_PATCH = 'site-tls-certificate';

/**
 * The certificate step of createSite and a migration's cutover. A site whose names do not reach
 * this host yet (DNS not switched) must still go live on HTTP, so a failure here does not fail
 * the operation: it is recorded (tutti cert list, metrics, the fleet report) and the renewal
 * Schedule tries again, as it does for every site without a certificate.
 */
export async function issueSiteCertificate(spec: SiteSpec, step: (what: string) => void): Promise<string> {
  if (httpsModeOf(spec) === 'off') return 'https off';
  step(`requesting a certificate for ${spec.domains.join(', ')}`);
  try {
    const r = await hostActivities(spec.host, { ...CERT_STEP, retry: { ...CERT_STEP.retry, maximumAttempts: 2 } }).issueCertificate({ slug: spec.slug });
    return r.outcome === 'issued' ? `certificate until ${r.notAfter}` : r.outcome;
  } catch (err) {
    log.warn('certificate not issued; the renewal schedule will retry', { site: spec.slug, error: errorMessage(err) });
    return `no certificate yet (${errorMessage(err)})`;
  }
}
