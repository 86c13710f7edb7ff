import { z } from 'zod';
import type { SiteSpec } from './spec';
import { slugSchema } from './validate';

/** Where a site's certificate and key live in the secrets store (one PEM: chain, then key). */
export const TLS_CERT_DIR = 'tls';
/** Varnish's PROXY-protocol listener inside its container, reached by the terminator only. */
export const VARNISH_TLS_PORT = 8443;
/** Inside the Varnish container: one file per pending HTTP-01 token, holding its key authorization (read by the VCL's fixed ACME rule). */
export const ACME_CHALLENGE_DIR = '/run/tutti-acme';
/** Varnish's listener name for it; VCL tells HTTPS requests by `local.socket`. */
export const VARNISH_TLS_LISTENER = 'tls';

/** `off`: HTTP only; `on`: a certificate, both schemes answer; `redirect`: HTTP answers 301 to HTTPS once a certificate is live. */
export const httpsModeSchema = z.enum(['off', 'on', 'redirect'], { error: 'must be off, on or redirect' });
export type HttpsMode = z.infer<typeof httpsModeSchema>;

/** Sites recorded before HTTPS existed have no setting: every site gets HTTPS unless it says off. */
export function httpsModeOf(spec: Pick<SiteSpec, 'https'>): HttpsMode {
  return spec.https ?? 'on';
}

export function certFile(slug: string): string {
  return `${TLS_CERT_DIR}/${slug}.pem`;
}

/** Path of a site's certificate as HAProxy sees it (the store's tls/ folder is mounted there). */
export function terminatorCertPath(slug: string): string {
  return `/etc/haproxy/certs/${slug}.pem`;
}

/** A site's certificate as the registry records it. */
export interface CertificateRecord {
  slug: string;
  /** Names the live certificate covers; empty when none was ever issued. */
  domains: string[];
  notBefore: string | null;
  notAfter: string | null;
  serial: string | null;
  /** When the last attempt (issue or renewal) ran, and its error when it failed. */
  lastAttemptAt: string | null;
  lastError: string | null;
  /** The domain the last failure was about, when the ACME server named one. */
  failedDomain: string | null;
}

/** Renewal is due at 2/3 of the certificate's lifetime (30 days before the end of a 90-day one). */
export function renewAt(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3);
}

export type CertDecision = { due: false; reason: 'current' | 'https off' } | { due: true; reason: 'missing' | 'domains changed' | 'renewal due' | 'forced' };

/** Whether a site needs a new certificate now. */
export function certificateDue(spec: Pick<SiteSpec, 'domains' | 'https'>, cert: Pick<CertificateRecord, 'domains' | 'notBefore' | 'notAfter'> | undefined, now: Date, force = false): CertDecision {
  if (httpsModeOf(spec) === 'off') return { due: false, reason: 'https off' };
  if (force) return { due: true, reason: 'forced' };
  if (!cert?.notAfter || !cert.notBefore) return { due: true, reason: 'missing' };
  if ([...spec.domains].sort().join(',') !== [...cert.domains].sort().join(',')) return { due: true, reason: 'domains changed' };
  if (renewAt(new Date(cert.notBefore), new Date(cert.notAfter)) <= now) return { due: true, reason: 'renewal due' };
  return { due: false, reason: 'current' };
}

/** Whole days until `notAfter` (negative once expired), as the metric and the CLI show them. */
export function daysToExpiry(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / 86_400_000);
}

/** Input of `renewCertificates`, as typed in the Temporal UI. */
export const renewCertificatesInputSchema = z
  .object({
    /** Only these sites; every HTTPS site when absent. */
    sites: z.array(slugSchema).min(1).max(500).optional(),
    /** Renew even when not due (e.g. after a key compromise). */
    force: z.boolean().optional(),
    concurrency: z.number().int().min(1).max(16).optional(),
  })
  .strict();
export type RenewCertificatesInput = z.input<typeof renewCertificatesInputSchema>;


/** A site's certificate trouble for the fleet report's "needs attention": none yet, the last attempt failed, or it ends within `days`. */
export function certificateAttention(sites: Pick<SiteSpec, 'slug' | 'https'>[], certs: CertificateRecord[], now: Date, days = 21): { site: string; problem: string }[] {
  const bySlug = new Map(certs.map((c) => [c.slug, c]));
  return sites.flatMap((s) => {
    if (httpsModeOf(s) === 'off') return [];
    const c = bySlug.get(s.slug);
    if (c?.lastError) return [{ site: s.slug, problem: `certificate renewal failed ${c.lastAttemptAt}: ${c.lastError}` }];
    if (!c?.notAfter) return [{ site: s.slug, problem: 'no certificate yet' }];
    const left = daysToExpiry(c.notAfter, now);
    return left < days ? [{ site: s.slug, problem: `certificate ends in ${left} days (${c.notAfter})` }] : [];
  });
}
