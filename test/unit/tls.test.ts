import { certificateAttention, certificateDue, daysToExpiry, renewAt, renewCertificatesInputSchema } from '../../src/site/tls';
import { createSiteInputSchema } from '../../src/site/spec';
import { renderVcl } from '../../src/site/vcl';
import { certificateGauges } from '../../src/worker/certMetrics';
import { parseInput } from '../../src/site/validate';
import { loadConfig } from '../../src/config';

const day = 86_400_000;
const t0 = new Date('2026-12-01T00:00:00Z');
const cert = (domains: string[], from: Date, days: number) => ({ domains, notBefore: from.toISOString(), notAfter: new Date(from.getTime() + days * day).toISOString() });

describe('renewal timing', () => {
  it('renews at 2/3 of the lifetime: day 60 of a 90-day certificate', () => {
    expect(renewAt(t0, new Date(t0.getTime() + 90 * day)).toISOString()).toBe(new Date(t0.getTime() + 60 * day).toISOString());
  });
  it('is due when missing, when domains changed, after 2/3, or forced; never with https off', () => {
    const spec = { domains: ['a.example', 'www.a.example'] };
    const c = cert(['www.a.example', 'a.example'], t0, 90);
    expect(certificateDue(spec, undefined, t0)).toEqual({ due: true, reason: 'missing' });
    expect(certificateDue(spec, c, new Date(t0.getTime() + 59 * day))).toEqual({ due: false, reason: 'current' });
    expect(certificateDue(spec, c, new Date(t0.getTime() + 60 * day))).toEqual({ due: true, reason: 'renewal due' });
    expect(certificateDue({ domains: ['a.example'] }, c, t0)).toEqual({ due: true, reason: 'domains changed' });
    expect(certificateDue(spec, c, t0, true)).toEqual({ due: true, reason: 'forced' });
    expect(certificateDue({ ...spec, https: 'off' }, undefined, t0, true)).toEqual({ due: false, reason: 'https off' });
  });
  it('counts whole days to expiry and flags trouble for the fleet report', () => {
    expect(daysToExpiry(cert([], t0, 90).notAfter, t0)).toBe(90);
    const certs = [
      { slug: 'ok', ...cert(['ok.example'], t0, 90), serial: '1', lastAttemptAt: null, lastError: null, failedDomain: null },
      { slug: 'late', ...cert(['late.example'], t0, 10), serial: '2', lastAttemptAt: null, lastError: null, failedDomain: null },
      { slug: 'bad', ...cert(['bad.example'], t0, 90), serial: '3', lastAttemptAt: t0.toISOString(), lastError: 'ACME validation of bad.example failed: connection refused', failedDomain: 'bad.example' },
    ];
    const sites = ['ok', 'late', 'bad', 'none'].map((slug) => ({ slug })).concat([{ slug: 'plain', https: 'off' } as never]);
    expect(certificateAttention(sites, certs, t0).map((a) => a.site)).toEqual(['late', 'bad', 'none']);
    expect(certificateGauges(undefined, t0)).toEqual({ days: Number.NEGATIVE_INFINITY, failing: 0 });
    expect(certificateGauges(certs[2], t0)).toEqual({ days: 90, failing: 1 });
  });
});

describe('inputs and configuration', () => {
  it('createSite takes https off|on|redirect and hsts; anything else names the field', () => {
    expect(parseInput(createSiteInputSchema, { domains: ['a.example'], https: 'redirect', hsts: true }).https).toBe('redirect');
    expect(() => parseInput(createSiteInputSchema, { domains: ['a.example'], https: 'always' })).toThrow(/https/);
    expect(() => parseInput(renewCertificatesInputSchema, { sites: ['Bad Slug'] })).toThrow(/sites/);
  });
  it('defaults to the local Pebble; a directory URL must be https or off', () => {
    const cfg = loadConfig({ TUTTI_DATA_DIR: '/d' });
    expect(cfg.tls.acme.directoryUrl).toBe('https://127.0.0.1:14000/dir');
    expect(cfg.tls.pebble.enabled).toBe(true);
    expect(cfg.tls.acme.caFile).toBe('/d/pebble/listener.pem');
    const le = loadConfig({ TUTTI_ACME_DIRECTORY_URL: 'https://acme-staging-v02.api.letsencrypt.org/directory' });
    expect(le.tls.pebble.enabled).toBe(false);
    expect(le.tls.acme.caFile).toBeUndefined();
    expect(loadConfig({ TUTTI_ACME_DIRECTORY_URL: 'off' }).tls.acme.directoryUrl).toBeNull();
    expect(() => loadConfig({ TUTTI_ACME_DIRECTORY_URL: 'http://x/dir' })).toThrow(/TUTTI_ACME_DIRECTORY_URL/);
  });
});

describe('VCL for HTTPS', () => {
  const route = { slug: 'acme', domains: ['acme.example'], backendHost: 'tuttitest-site-acme-web-blue', healthPath: '/' };
  it('takes the scheme from the listener, never from a client header', () => {
    const vcl = renderVcl([route]);
    expect(vcl).toMatch(/if \(local\.socket == "tls"\) \{\n\s+set req\.http\.X-Forwarded-Proto = "https";\n\s+\} else \{\n\s+set req\.http\.X-Forwarded-Proto = "http";/);
    expect(vcl).not.toContain('synth(750');
  });
  it('redirects and sends HSTS only where asked, with the public HTTPS port', () => {
    const vcl = renderVcl([{ ...route, redirectToHttps: true, hsts: true }], { httpsPort: 8453 });
    expect(vcl).toContain('return (synth(750, "Moved Permanently"));');
    expect(vcl).toContain('"https://" + req.http.host + ":8453" + req.url');
    expect(renderVcl([{ ...route, redirectToHttps: true }], { httpsPort: 443 })).toContain('"https://" + req.http.host + "" + req.url');
  });
  it('answers ACME challenges from files by one fixed rule: no token in the VCL, only token-shaped paths read', () => {
    const vcl = renderVcl([route]);
    expect(vcl).toBe(renderVcl([route])); // nothing per order in it, so an order never reloads VCL
    expect(vcl).toContain('if (req.url ~ "^/\\.well-known/acme-challenge/[A-Za-z0-9_-]{1,128}$") {');
    expect(vcl).toContain('std.fileread("/run/tutti-acme/" + regsub(req.url, "^.*/", ""))');
    expect(vcl).toContain('synthetic(req.http.X-Tutti-Acme);');
    // a client cannot hand in its own answer: the header is cleared before the rule
    expect(vcl.indexOf('unset req.http.X-Tutti-Acme;')).toBeLessThan(vcl.indexOf('std.fileread'));
    // the rule comes before the sites' branches, so a redirecting site still answers HTTP-01 on HTTP
    expect(vcl.indexOf('std.fileread')).toBeLessThan(vcl.indexOf('req.http.host == "acme.example"'));
  });
});
