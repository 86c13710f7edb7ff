import type { Client } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { renewCertificatesInputSchema, type RenewCertificatesInput } from '../site/tls';
import { parseInput } from '../site/validate';
import type { renewCertificates } from '../../workflows/renewCertificates';
import { tuttiStartOptions } from './start';

/** Starts renewCertificates under `cert-renewal/<site or all>-<time>`; validated locally first. */
export async function startRenewCertificates(client: Client, cfg: TuttiConfig, input: RenewCertificatesInput) {
  const parsed = parseInput(renewCertificatesInputSchema, input);
  const what = parsed.sites?.length === 1 ? parsed.sites[0]! : 'all';
  const workflowId = `cert-renewal/${what}-${new Date().toISOString().replace(/[:.]/g, '')}`;
  return client.workflow.start<typeof renewCertificates>('renewCertificates', tuttiStartOptions(cfg, { workflowType: 'renewCertificates', workflowId, input, summary: parsed.sites ? `Renew the certificate of ${parsed.sites.join(', ')}` : 'Renew the certificates that are due', ...(parsed.sites?.length === 1 ? { site: parsed.sites[0] } : {}) }) as Parameters<typeof client.workflow.start<typeof renewCertificates>>[1]);
}
