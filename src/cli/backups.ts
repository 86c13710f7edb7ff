import { listCertificates } from '../infra/certRegistry';
import { certificateAttention } from '../site/tls';
import { connectHostDb } from '../infra/mariadb';
import { listSites } from '../infra/registry';
import type { Command } from 'commander';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { loadConfig, type TuttiConfig } from '../config';
import { lastFleetRun, listBackupsInBucket, liveBackupStatus, startBackupSite, startFleetBackup, startRestoreSite, startVerifyBackup } from '../client/backups';
import { withClient } from '../client/connect';
import { failureLine } from '../client/follow';
import type { BackupResult } from '../../workflows/backupSite';
import type { FleetReport } from '../../workflows/fleetBackup';
import type { RestoreResult } from '../../workflows/restoreSite';
import type { VerifyResult } from '../../workflows/verifyBackup';
import { mb } from '../site/units';
import { followBytes } from './byteProgress';
import { CliError, printJson, table } from './output';

/** Waits for a run while showing its transfer progress; a failure becomes one line. */
async function waitFor<T>(client: Client, handle: WorkflowHandle, what: string): Promise<T> {
  const progress = followBytes(client, handle, what);
  try {
    return (await handle.result()) as T;
  } catch (err) {
    throw new CliError(`${what} ${handle.workflowId} failed: ${failureLine(err)}`);
  } finally {
    await progress.stop();
  }
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup').description('back up sites to S3, list backups, restore drills, the fleet report');

  backup
    .command('create <site>')
    .description('back up the site now: database and files to S3, manifest last')
    .option('--wait', 'show progress (bytes and rate) and exit non-zero on failure')
    .option('--json', 'machine-readable output')
    .action((site: string, opts: { wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startBackupSite(client, cfg, { site });
        if (!opts.wait) return opts.json ? printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId }) : void process.stdout.write(`started backupSite ${handle.workflowId}; follow it in the UI or with --wait\n`);
        const r = await waitFor<BackupResult>(client, handle, 'backup');
        if (opts.json) printJson(r);
        else process.stdout.write(`backup ${r.backupId} of ${r.site}: database ${mb(r.dbBytes)}, files ${mb(r.filesBytes)} (${r.tables} tables, ${r.rows} rows, ${r.files} files) in ${r.seconds} s\n${r.manifest}\n`);
      }),
    );

  backup
    .command('list <site>')
    .description("the site's backups, read from the bucket alone (works for deleted sites and on a new control plane)")
    .option('--all', 'also incomplete and damaged backups (never restorable)')
    .option('--json', 'machine-readable output')
    .action(async (site: string, opts: { all?: boolean; json?: boolean }) => {
      const listing = (await listBackupsInBucket(loadConfig(process.env), site)).filter((b) => opts.all || b.state === 'good');
      if (opts.json) return printJson(listing.map((b) => ({ id: b.id, state: b.state, problem: b.problem, bytes: b.bytes, reason: b.manifest?.reason, startedAt: b.manifest?.startedAt, endedAt: b.manifest?.endedAt, spec: b.manifest?.spec, counts: b.manifest?.database.counts, verification: b.verification })));
      if (!listing.length) return void process.stdout.write(`no backups of ${site}; take one with tutti backup create ${site} --wait\n`);
      const rows = listing.map((b) => [
        b.id,
        b.state === 'good' ? (b.manifest?.reason ?? '') : `${b.state}: ${b.problem ?? ''}`,
        mb(b.bytes),
        b.manifest ? `${b.manifest.database.counts.tables} tables, ${Object.values(b.manifest.database.rows).reduce((a, c) => a + c, 0)} rows` : '-',
        b.verification ? `${b.verification.ok ? 'ok' : 'FAILED'} ${b.verification.checkedAt.slice(0, 16)}${b.verification.restoreSeconds ? ` (${b.verification.restoreSeconds} s)` : ''}` : '-',
      ]);
      process.stdout.write(table([['backup', 'kind', 'size', 'database', 'restore drill'], ...rows]));
    });

  backup
    .command('verify <site>')
    .description('restore drill: restore a backup (default: the newest) into a throwaway site, check it, remove it')
    .option('--backup <id>', 'backup ID (default: the newest good one)')
    .option('--wait', 'follow progress and exit non-zero on failure')
    .option('--json', 'machine-readable output')
    .action((site: string, opts: { backup?: string; wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startVerifyBackup(client, cfg, { site, backupId: opts.backup });
        if (!opts.wait) return void process.stdout.write(`started verifyBackup ${handle.workflowId}\n`);
        const r = await waitFor<VerifyResult>(client, handle, 'restore drill');
        if (opts.json) printJson(r);
        else process.stdout.write(`${r.site}/${r.backupId}: ${r.detail}\n`);
      }),
    );

  backup
    .command('fleet')
    .description('run the nightly fleet backup now (the Schedule tutti-fleet-backup runs it every night)')
    .option('--site <slug...>', 'only these sites')
    .option('--wait', 'wait for the report')
    .action((opts: { site?: string[]; wait?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startFleetBackup(client, cfg, opts.site ? { sites: opts.site } : {});
        if (!opts.wait) return void process.stdout.write(`started fleetBackup ${handle.workflowId}; see tutti backup report\n`);
        await handle.result().catch(() => undefined);
        await printReport(client, cfg, false);
      }),
    );

  backup
    .command('report')
    .description('the last fleet run (failures, pruned backups, restore drills) and every site without a good backup in 26 h, checked now')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => withClient((client, cfg) => printReport(client, cfg, !!opts.json)));

  program
    .command('restore <site>')
    .description('restore a backup: in place (new generation, then switch; the live site is untouched until the copy is checked), or --to a new domain (a clone)')
    .requiredOption('--backup <id>', 'backup ID (see tutti backup list <site>)')
    .option('--to <domain>', 'restore into a new site answering on this domain')
    .option('--slug <slug>', 'slug of the new site with --to')
    .option('--no-safety-backup', 'in place: do not back up the live site first (e.g. when its database is gone)')
    .option('--wait', 'show progress and exit non-zero on failure')
    .option('--json', 'machine-readable output')
    .action((site: string, opts: { backup: string; to?: string; slug?: string; safetyBackup: boolean; wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startRestoreSite(client, cfg, { site, backupId: opts.backup, to: opts.to, slug: opts.slug, ...(opts.safetyBackup ? {} : { safetyBackup: false }) });
        if (!opts.wait) return void process.stdout.write(`started restoreSite ${handle.workflowId}\n`);
        const r = await waitFor<RestoreResult>(client, handle, 'restore');
        if (opts.json) printJson(r);
        else process.stdout.write(`restored ${r.from.site}/${r.from.backupId} into ${r.site} (${r.mode}, generation ${r.generation}) in ${r.seconds} s: ${r.rows} rows, ${r.files} files; live at ${r.url}${r.safetyBackup ? `\nthe site as it was before: backup ${r.safetyBackup}` : ''}\n`);
      }),
    );
}

async function printReport(client: Client, cfg: TuttiConfig, json: boolean): Promise<void> {
  const [last, live, certs] = await Promise.all([lastFleetRun(client), liveBackupStatus(cfg), certificateTrouble(cfg)]);
  const attention = live.stale.length > 0 || (last?.report?.failed.length ?? 0) > 0 || certs.length > 0;
  if (json) {
    printJson({ lastFleetRun: last ?? null, now: live, certificates: certs });
    if (attention) throw new CliError('backups need attention', 2);
    return;
  }
  const out: string[] = [];
  if (!last) out.push('no fleet backup has run yet (Schedule tutti-fleet-backup, or tutti backup fleet)');
  else {
    const r: FleetReport | undefined = last.report;
    out.push(`last fleet run ${last.workflowId} (${last.status.toLowerCase()}, started ${last.startTime})${r ? `: ${r.backedUp.length} of ${r.sites} sites backed up` : ''}`);
    for (const f of r?.failed ?? []) out.push(`  FAILED ${f.site} (${f.stage}): ${f.error}`);
    for (const p of r?.pruned ?? []) out.push(`  pruned ${p.site}: ${p.removed.join(', ')}`);
    for (const v of r?.verified ?? []) out.push(`  drill ${v.site}/${v.backupId}: ${v.ok ? 'ok' : 'FAILED'} ${v.detail}`);
    if (!r && last.error) out.push(`  ${last.error}`);
  }
  out.push(live.stale.length ? `sites without a good backup in ${cfg.backup.staleAfterHours} h (checked now):` : `every site (${live.sites.length}) has a good backup younger than ${cfg.backup.staleAfterHours} h`);
  for (const s of live.stale) out.push(`  ${s.site}: ${s.newestGood ? `newest good ${s.newestGood} (${s.ageHours} h old)` : 'no good backup at all'}`);
  if (certs.length) out.push('certificates needing attention (checked now):');
  for (const c of certs) out.push(`  ${c.site}: ${c.problem}`);
  process.stdout.write(out.join('\n') + '\n');
  if (attention) throw new CliError('backups need attention', 2);
}

/** HTTPS sites whose certificate is missing, failing to renew or about to end (src/site/tls.ts). */
async function certificateTrouble(cfg: TuttiConfig): Promise<{ site: string; problem: string }[]> {
  const db = connectHostDb(cfg);
  try {
    const sites = (await listSites(db)).filter((s) => s.status === 'active').map((s) => s.spec);
    return certificateAttention(sites, await listCertificates(db), new Date());
  } finally {
    await db.end();
  }
}
