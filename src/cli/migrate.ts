import type { Command } from 'commander';
import { loadConfig } from '../config';
import { connectClient } from '../client/connect';
import { failureLine } from '../client/follow';
import { approveMigration, rejectMigration, startMigrateSite } from '../client/migrate';
import type { MigrationStatus } from '../migrate/input';
import type { MigrationSource, Platform } from '../site/validate';
import { CliError, printJson } from './output';

/** `--db /abs/dump.sql.gz`, `--db s3://bucket/key`, `--db http://127.0.0.1:8000/dump.sql`. */
export function sourceArg(value: string): MigrationSource {
  if (value.startsWith('s3://')) return { s3: value };
  if (/^https?:\/\//.test(value)) return { url: value };
  return { path: value };
}

export function describeStatus(s: MigrationStatus): string {
  const imported = s.imported ? `${s.imported.tables} tables, ${s.imported.files} files (${s.imported.fileBytes} bytes)` : '-';
  return [
    `migration ${s.slug}: ${s.stage}`,
    `staging   ${s.stagingUrl ?? '-'}`,
    `domains   ${s.domains.join(', ')}`,
    `imported  ${imported}`,
    ...(s.waitingSince ? [`waiting   since ${s.waitingSince}; auto-reject at ${s.autoRejectAt}`] : []),
    ...(s.decision ? [`decision  ${s.decision.approved ? 'approved' : `rejected: ${s.decision.reason}`}${s.decision.by ? ` by ${s.decision.by}` : ''}`] : []),
  ].join('\n');
}

export function registerMigrateCommands(program: Command): void {
  program
    .command('migrate <domain...>')
    .description('import an existing site (DB dump + files archive) on a staging hostname; it goes live on <domain> after tutti approve')
    .requiredOption('--db <source>', 'dump (.sql, .sql.gz, .sql.zst): absolute path on the Docker host, s3://bucket/key or http://127.0.0.1/...')
    .requiredOption('--files <source>', 'files archive (.tar, .tar.gz) of wp-content (or of a WordPress root)')
    .option('--platform <platform>', 'wordpress, drupal or drupal-civicrm', 'wordpress')
    .option('--image <ref>', 'web image (default: the platform default)')
    .option('--slug <slug>', 'short name (default: from the first domain)')
    .option('--title <title>', 'title to look for when the site is checked (default: its blogname)')
    .option('--json', 'machine-readable output')
    .action(async (domains: string[], opts: { db: string; files: string; platform: Platform; image?: string; slug?: string; title?: string; json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const handle = await startMigrateSite(client, cfg, { domains, slug: opts.slug, platform: opts.platform, image: opts.image, title: opts.title, source: { db: sourceArg(opts.db), files: sourceArg(opts.files) } });
        const slug = handle.workflowId.slice('site/'.length);
        if (opts.json) printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, slug });
        else process.stdout.write(`started migrateSite ${handle.workflowId}; when it awaits approval, check the staging site and run: tutti approve ${slug}  (or tutti reject ${slug} --reason ...)\n`);
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('approve <site>')
    .description('approve a migration awaiting approval: cut over to the production domain(s)')
    .option('--json', 'machine-readable output')
    .action(async (site: string, opts: { json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const status = await approveMigration(client, site, cfg.temporal.identity).catch((err: unknown) => {
          throw new CliError(`approve ${site}: ${failureLine(err)}`);
        });
        if (opts.json) printJson(status);
        else process.stdout.write(`${describeStatus(status)}\napproved; the cutover runs now (follow it in the UI or with tutti site show ${site})\n`);
      } finally {
        await client.connection.close();
      }
    });

  program
    .command('reject <site>')
    .description('reject a migration: everything it made is removed')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--json', 'machine-readable output')
    .action(async (site: string, opts: { reason: string; json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const status = await rejectMigration(client, site, opts.reason, cfg.temporal.identity).catch((err: unknown) => {
          throw new CliError(`reject ${site}: ${failureLine(err)}`);
        });
        if (opts.json) printJson(status);
        else process.stdout.write(`${describeStatus(status)}\nrejected; the migration removes what it made\n`);
      } finally {
        await client.connection.close();
      }
    });
}
