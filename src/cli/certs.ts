import type { Command } from 'commander';
import { loadConfig } from '../config';
import { startRenewCertificates } from '../client/certs';
import { withClient } from '../client/connect';
import { failureLine, follow } from '../client/follow';
import { listCertificates } from '../infra/certRegistry';
import { connectHostDb } from '../infra/mariadb';
import { listSites } from '../infra/registry';
import { daysToExpiry, httpsModeOf, type CertificateRecord } from '../site/tls';
import { CliError, printJson, table } from './output';
import { stepProgress } from './progress';

/** One line about a site's certificate, for `cert list` and `site show`. */
export function describeCertificate(cert: CertificateRecord | undefined, now = new Date()): string {
  const live = cert?.notAfter ? `until ${cert.notAfter} (${daysToExpiry(cert.notAfter, now)} days)` : 'none';
  const failure = cert?.lastError ? `; LAST ATTEMPT FAILED ${cert.lastAttemptAt}: ${cert.lastError}` : '';
  return `${live}${failure}`;
}

export function registerCertCommands(program: Command): void {
  const cert = program.command('cert').description("sites' HTTPS certificates (ACME)");
  cert
    .command('list')
    .description('every site: HTTPS mode, certificate expiry, the last failed attempt')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const db = connectHostDb(cfg);
      try {
        const certs = new Map((await listCertificates(db)).map((c) => [c.slug, c]));
        const now = new Date();
        const rows = (await listSites(db)).map((s) => {
          const c = certs.get(s.spec.slug);
          return { site: s.spec.slug, https: httpsModeOf(s.spec), domains: s.spec.domains, notAfter: c?.notAfter ?? null, daysToExpiry: c?.notAfter ? daysToExpiry(c.notAfter, now) : null, lastAttemptAt: c?.lastAttemptAt ?? null, failedDomain: c?.failedDomain ?? null, lastError: c?.lastError ?? null };
        });
        if (opts.json) return printJson(rows);
        process.stdout.write(
          rows.length
            ? table([['site', 'https', 'expires', 'days', 'status'], ...rows.map((r) => [r.site, r.https, r.notAfter ?? '-', r.daysToExpiry === null ? '-' : String(r.daysToExpiry), r.lastError ? `FAILED ${r.failedDomain ?? ''}: ${r.lastError}` : r.notAfter ? 'ok' : r.https === 'off' ? '-' : 'no certificate yet'])])
            : 'no sites yet\n',
        );
      } finally {
        await db.end();
      }
    });
  cert
    .command('renew [site]')
    .description('starts renewCertificates: the one site (renewed even when not due), or every site that is due')
    .option('--wait', 'follow progress and exit non-zero on failure')
    .action(async (site: string | undefined, opts: { wait?: boolean }) => {
      await withClient(async (client, cfg) => {
        const handle = await startRenewCertificates(client, cfg, site ? { sites: [site], force: true } : {});
        if (!opts.wait) return void process.stdout.write(`started renewCertificates ${handle.workflowId}\n`);
        const bar = stepProgress('renewCertificates', 1);
        try {
          const r = await follow<{ renewed: { site: string; notAfter: string | null }[] }>(handle, bar);
          bar.stop();
          process.stdout.write(r.renewed.length ? r.renewed.map((x) => `${x.site}: certificate until ${x.notAfter}\n`).join('') : 'nothing was due\n');
        } catch (err) {
          bar.stop();
          throw new CliError(`renewCertificates ${handle.workflowId} failed: ${failureLine(err)}`);
        }
      });
    });
}
