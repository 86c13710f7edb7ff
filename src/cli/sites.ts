import type { Command } from 'commander';
import { loadConfig } from '../config';
import { connectClient } from '../client/connect';
import { failureLine, follow } from '../client/follow';
import { pendingMigration } from '../client/migrate';
import { startCreateSite, startDeleteSite } from '../client/sites';
import { describeStatus } from './migrate';
import { connectHostDb } from '../infra/mariadb';
import { auditFor, getSite, listSites } from '../infra/registry';
import type { CreateSiteResult } from '../../workflows/createSite';
import type { Platform } from '../site/validate';
import { describeCertificate } from './certs';
import { getCertificate } from '../infra/certRegistry';
import { httpsModeOf } from '../site/tls';
import { CliError, printJson, table } from './output';
import { stepProgress } from './progress';


export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description('create, list, show and delete sites');

  site
    .command('create <domain...>')
    .description('create a site answering on the given domain(s); the first is the primary one')
    .option('--slug <slug>', 'short name (default: from the first domain)')
    .option('--platform <platform>', 'wordpress, drupal or drupal-civicrm', 'wordpress')
    .option('--image <ref>', 'web image (default: the platform default)')
    .option('--title <title>', 'site title (default: the domain)')
    .option('--host <name>', 'Docker host (default: this one)')
    .option('--wait', 'follow progress and exit non-zero on failure')
    .option('--json', 'machine-readable output')
    .action(async (domains: string[], opts: { slug?: string; platform: Platform; image?: string; title?: string; host?: string; wait?: boolean; json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const handle = await startCreateSite(client, cfg, { domains, slug: opts.slug, platform: opts.platform, image: opts.image, title: opts.title, host: opts.host });
        if (!opts.wait) {
          const out = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, slug: handle.workflowId.slice('site/'.length), domains, url: `http://${domains[0]}/` };
          if (opts.json) printJson(out);
          else process.stdout.write(`started createSite ${handle.workflowId}; follow it in the UI or with --wait\n`);
          return;
        }
        const bar = stepProgress('createSite', 9);
        let result: CreateSiteResult;
        try {
          result = await follow<CreateSiteResult>(handle, bar);
        } catch (err) {
          bar.stop();
          throw new CliError(`createSite ${handle.workflowId} failed: ${failureLine(err)}`);
        }
        bar.stop();
        if (opts.json) printJson(result);
        else process.stdout.write(`site ${result.slug} is live at ${result.url} (through Varnish on 127.0.0.1:${cfg.varnish.httpPort})\n`);
      } finally {
        await client.connection.close();
      }
    });

  site
    .command('list')
    .description('sites in the registry')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const db = connectHostDb(cfg);
      try {
        const sites = await listSites(db);
        if (opts.json) printJson(sites);
        else
          process.stdout.write(
            sites.length
              ? table([['site', 'status', 'domains', 'platform', 'image', 'host'], ...sites.map((s) => [s.spec.slug, s.status, s.spec.domains.join(','), s.spec.platform, s.spec.image, s.spec.host])])
              : 'no sites yet; create one with: tutti site create <domain> --wait\n',
          );
      } finally {
        await db.end();
      }
    });

  site
    .command('show <site>')
    .description('a site, its container and its recent operations')
    .option('--json', 'machine-readable output')
    .action(async (slug: string, opts: { json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const db = connectHostDb(cfg);
      try {
        const record = await getSite(db, slug);
        if (!record) throw new CliError(`site ${slug} does not exist; see tutti site list`);
        const audit = await auditFor(db, slug, 10);
        const cert = await getCertificate(db, slug);
        const migration = await migrationOf(slug);
        if (opts.json) return printJson({ ...record, certificate: cert ?? null, operations: audit, ...(migration ? { migration } : {}) });
        if (migration) process.stdout.write(`${describeStatus(migration)}${migration.stage === 'awaiting-approval' ? `
→ tutti approve ${slug}  |  tutti reject ${slug} --reason ...` : ''}

`);
        const s = record.spec;
        process.stdout.write(
          `site      ${s.slug} (${record.status})\ndomains   ${s.domains.join(', ')}\nplatform  ${s.platform}\nimage     ${s.image} ${record.imageId ?? ''}\nhost      ${s.host}\ncontainer ${record.activeContainer ?? '-'}\nhttps     ${httpsModeOf(s)}${s.hsts ? ' + HSTS' : ''}, certificate ${describeCertificate(cert)}\ncreated   ${record.createdAt}\n\n` +
            table([['operation', 'started by', 'started', 'result', 'detail'], ...audit.map((a) => [String(a.operation), String(a.started_by), new Date(a.started_at as Date).toISOString(), String(a.result ?? 'running'), String(a.detail ?? '').slice(0, 60)])]),
        );
      } finally {
        await db.end();
      }
    });

  site
    .command('delete <site>')
    .description('remove the site: route, containers, network, volume, database and user')
    .option('--wait', 'follow progress and exit non-zero on failure')
    .action(async (slug: string, opts: { wait?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const handle = await startDeleteSite(client, cfg, { site: slug });
        if (!opts.wait) return void process.stdout.write(`started deleteSite ${handle.workflowId}\n`);
        const bar = stepProgress('deleteSite', 2);
        try {
          await follow(handle, bar);
        } catch (err) {
          throw new CliError(`deleteSite ${handle.workflowId} failed: ${failureLine(err)}`);
        } finally {
          bar.stop();
        }
        process.stdout.write(`site ${slug} deleted\n`);
      } finally {
        await client.connection.close();
      }
    });
}

/** The migration running under the site's workflow ID, if any; `site show` works without Temporal too. */
async function migrationOf(slug: string) {
  const cfg = loadConfig(process.env);
  const client = await connectClient(cfg).catch(() => undefined);
  if (!client) return undefined;
  try {
    return await pendingMigration(client, slug).catch(() => undefined);
  } finally {
    await client.connection.close();
  }
}
