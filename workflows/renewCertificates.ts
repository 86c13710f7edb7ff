import { ApplicationFailure, log, setCurrentDetails } from '@temporalio/workflow';
import { FailureType } from '../src/site/errors';
import { renewCertificatesInputSchema, type RenewCertificatesInput } from '../src/site/tls';
import { CERT_STEP } from './certificateStep';
import { errorMessage, REGISTRY, tagRun, validated } from './common';
import { hostActivities, sharedActivities } from './hostActivities';

export type { RenewCertificatesInput };

export interface RenewCertificatesResult {
  checked: string[];
  renewed: { site: string; reason: string; notAfter: string | null }[];
  failed: { site: string; error: string }[];
}

/**
 * Renews every certificate that is due (2/3 of its lifetime, domains changed, or none yet),
 * a few sites at a time. Each order is retried with backoff; one failing domain never blocks
 * the others, and the run fails at the end naming each site, domain and ACME error.
 */
export async function renewCertificates(rawInput: RenewCertificatesInput = {}): Promise<RenewCertificatesResult> {
  const input = validated(renewCertificatesInputSchema, rawInput);
  tagRun({ operation: 'renewCertificates', stage: 'running' });
  const due = await sharedActivities(REGISTRY).certificatesDue({ sites: input.sites, force: input.force });
  const result: RenewCertificatesResult = { checked: due.map((d) => d.slug), renewed: [], failed: [] };
  const report = () => setCurrentDetails(`certificates: ${due.length} due, ${result.renewed.length} renewed, ${result.failed.length} failed${result.failed.length ? ` (${result.failed.map((f) => f.site).join(', ')})` : ''}`);
  report();
  const queue = [...due];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        const r = await hostActivities(next.host, CERT_STEP).issueCertificate({ slug: next.slug, force: input.force });
        result.renewed.push({ site: next.slug, reason: next.reason, notAfter: r.notAfter });
      } catch (err) {
        result.failed.push({ site: next.slug, error: errorMessage(err) });
        log.warn('certificate renewal failed', { site: next.slug, error: errorMessage(err) });
      }
      report();
    }
  };
  await Promise.all(Array.from({ length: input.concurrency ?? 4 }, lane));
  tagRun({ operation: 'renewCertificates', stage: result.failed.length ? 'failed' : 'done' });
  if (result.failed.length) {
    throw ApplicationFailure.create({
      type: FailureType.CertificateRenewalFailed,
      nonRetryable: true,
      message: `${result.failed.length} of ${due.length} certificate renewal(s) failed: ${result.failed.map((f) => `${f.site}: ${f.error}`).join('; ')}`,
      details: [result],
    });
  }
  return result;
}
