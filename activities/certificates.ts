import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { AcmeError, orderCertificate } from '../src/infra/acme';
import { forgetCertificate, getCertificate, listCertificates, recordFailure, recordIssued } from '../src/infra/certRegistry';
import { Haproxy } from '../src/infra/haproxy';
import { getSite, listSites } from '../src/infra/registry';
import { FailureType } from '../src/site/errors';
import { platformNames } from '../src/site/names';
import { certFile, certificateDue, httpsModeOf, terminatorCertPath, type CertificateRecord } from '../src/site/tls';
import type { ActivityDeps } from './deps';
import { classified } from './failures';

export interface IssueResult {
  slug: string;
  outcome: 'issued' | 'unchanged' | 'https off' | 'acme off';
  reason: string;
  domains: string[];
  notAfter: string | null;
}

function newKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Certificates by ACME HTTP-01: challenges are answered by the host's Varnish from files the
 * worker puts in its container, read by one fixed VCL rule (no VCL reload per order, nothing
 * written into a site), keys are generated here and kept as secret files, and the
 * terminator gets a new certificate through its runtime API with no reload.
 */
export function createCertificateActivities(deps: ActivityDeps, syncRoutes: (host: string) => Promise<unknown>) {
  const { cfg, secrets } = deps;
  const haproxy = new Haproxy(deps.docker, platformNames(cfg.prefix).terminatorContainer);

  async function install(slug: string, pem: string): Promise<void> {
    await haproxy.installCertificate(terminatorCertPath(slug), pem);
  }

  return classified({
    /**
     * Makes sure the site has a current certificate for all its domains: nothing happens when it
     * has one (idempotent), unless `force`. A failure is recorded in the registry (domain and the
     * ACME error, for `tutti cert list` and the metrics) before the activity fails `AcmeFailed`.
     */
    async issueCertificate(input: { slug: string; force?: boolean }): Promise<IssueResult> {
      const site = await getSite(deps.db(), input.slug);
      if (!site) throw ApplicationFailure.nonRetryable(`site ${input.slug} does not exist; see tutti site list`, FailureType.SiteNotFound);
      const { spec } = site;
      const base = { slug: spec.slug, domains: spec.domains };
      const directoryUrl = cfg.tls.acme.directoryUrl;
      if (!directoryUrl) return { ...base, outcome: 'acme off', reason: 'TUTTI_ACME_DIRECTORY_URL=off', notAfter: null };
      if (httpsModeOf(spec) === 'off') return { ...base, outcome: 'https off', reason: 'the site has https: off', notAfter: null };
      const current = await getCertificate(deps.db(), spec.slug);
      const decision = certificateDue(spec, current, new Date(), input.force);
      const stored = await secrets.read(certFile(spec.slug));
      if (!decision.due && stored) {
        // a terminator recreated since (new image) loaded it from the file; one created before it was written gets it now
        if (!(await haproxy.certificates()).includes(terminatorCertPath(spec.slug))) await install(spec.slug, stored);
        return { ...base, outcome: 'unchanged', reason: decision.reason, notAfter: current?.notAfter ?? null };
      }
      const progress = (step: string) => Context.current().heartbeat({ step });
      const account = `acme/account-${createHash('sha256').update(directoryUrl).digest('hex').slice(0, 12)}`;
      try {
        const issued = await orderCertificate(
          {
            directoryUrl,
            ca: cfg.tls.acme.caFile ? await readFile(cfg.tls.acme.caFile) : undefined,
            email: cfg.tls.acme.email,
            accountKeyPem: await secrets.ensure(`${account}.key`, newKeyPem),
            accountUrl: await secrets.read(`${account}.url`),
            onAccountUrl: (url) => secrets.write(`${account}.url`, url),
          },
          spec.domains,
          {
            progress,
            // files in the Varnish container that its fixed VCL rule reads: no VCL reload per order
            publish: async (challenges) => {
              for (const c of challenges) await deps.varnish.putChallenge(c.token, c.keyAuthorization);
            },
            unpublish: async (challenges) => {
              for (const c of challenges) await deps.varnish.removeChallenge(c.token).catch(() => undefined);
            },
          },
        );
        progress('installing the certificate in the terminator');
        const pem = `${issued.chainPem.trim()}\n${issued.keyPem.trim()}\n`;
        await secrets.write(certFile(spec.slug), pem);
        await install(spec.slug, pem);
        await recordIssued(deps.db(), spec.slug, { domains: spec.domains, notBefore: issued.notBefore, notAfter: issued.notAfter, serial: issued.serial });
        // a redirecting site starts redirecting once its certificate is live
        if (httpsModeOf(spec) === 'redirect') await syncRoutes(spec.host);
        return { ...base, outcome: 'issued', reason: decision.reason, notAfter: issued.notAfter.toISOString() };
      } catch (err) {
        if (!(err instanceof AcmeError)) throw err;
        if (err.accountProblem) await secrets.remove(`${account}.url`); // the retry registers again
        await recordFailure(deps.db(), spec.slug, err.message, err.domain);
        throw ApplicationFailure.create({ type: FailureType.AcmeFailed, message: `certificate of ${spec.slug}: ${err.message}`, details: [{ site: spec.slug, domain: err.domain, acmeError: err.detail }] });
      }
    },

    /** The sites whose certificate is due (or all HTTPS sites with `force`), among `sites` or every site. */
    async certificatesDue(input: { sites?: string[]; force?: boolean }): Promise<{ slug: string; host: string; reason: string }[]> {
      if (!cfg.tls.acme.directoryUrl) return [];
      const certs = new Map((await listCertificates(deps.db())).map((c) => [c.slug, c]));
      const now = new Date();
      return (await listSites(deps.db()))
        .filter((s) => s.status === 'active' && (!input.sites || input.sites.includes(s.spec.slug)))
        .flatMap((s) => {
          const d = certificateDue(s.spec, certs.get(s.spec.slug), now, input.force);
          return d.due ? [{ slug: s.spec.slug, host: s.spec.host, reason: d.reason }] : [];
        });
    },

    async listCertificates(): Promise<CertificateRecord[]> {
      return listCertificates(deps.db());
    },

    /** For deleteSite: the terminator stops serving it, then its key file and record go. */
    async removeCertificate(slug: string): Promise<boolean> {
      const removed = await haproxy.removeCertificate(terminatorCertPath(slug)).catch(() => false);
      await secrets.remove(certFile(slug));
      await forgetCertificate(deps.db(), slug);
      return removed;
    },
  });
}
