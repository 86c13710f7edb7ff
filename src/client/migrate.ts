import type { Client, WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { migrateSiteInputSchema, rejectArgsSchema, type MigrateSiteInput, type MigrationStatus } from '../migrate/input';
import { siteWorkflowId } from '../site/names';
import { slugFromDomain } from '../site/spec';
import { parseInput, slugSchema } from '../site/validate';
import { startSiteOperation } from './sites';

/** Validates locally, then starts `migrateSite` under `site/<slug>`. */
export async function startMigrateSite(client: Client, cfg: TuttiConfig, input: MigrateSiteInput): Promise<WorkflowHandle> {
  const parsed = parseInput(migrateSiteInputSchema, input);
  const slug = parsed.slug ?? slugFromDomain(parsed.domains[0]!);
  return startSiteOperation(client, cfg, 'migrateSite', slug, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Migrate ${parsed.domains.join(', ')} into site ${slug}`);
}

/** The running migration of a site, or undefined when `site/<slug>` runs something else or nothing. */
export async function pendingMigration(client: Client, site: string): Promise<MigrationStatus | undefined> {
  const handle = client.workflow.getHandle(siteWorkflowId(parseInput(slugSchema, site, 'site')));
  const d = await handle.describe().catch(() => undefined);
  if (!d || d.type !== 'migrateSite' || d.status.name !== 'RUNNING') return undefined;
  return handle.query<MigrationStatus>('migrationStatus');
}

async function requireMigration(client: Client, site: string): Promise<void> {
  if (!(await pendingMigration(client, site))) throw new Error(`site ${site} has no migration running; see tutti site show ${site}`);
}

/** Sends the `approveMigration` Update; its validator explains why an approval is not possible now. */
export async function approveMigration(client: Client, site: string, by: string): Promise<MigrationStatus> {
  await requireMigration(client, site);
  const handle = client.workflow.getHandle(siteWorkflowId(parseInput(slugSchema, site, 'site')));
  return handle.executeUpdate<MigrationStatus, [{ by: string }]>('approveMigration', { args: [{ by }] });
}

/** Sends the `rejectMigration` Update; a reason is required. */
export async function rejectMigration(client: Client, site: string, reason: string, by: string): Promise<MigrationStatus> {
  const args = parseInput(rejectArgsSchema, { reason, by }, 'reason');
  await requireMigration(client, site);
  const handle = client.workflow.getHandle(siteWorkflowId(parseInput(slugSchema, site, 'site')));
  return handle.executeUpdate<MigrationStatus, [typeof args]>('rejectMigration', { args: [args] });
}
