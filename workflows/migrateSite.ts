import { CancellationScope, condition, defineQuery, defineSignal, defineUpdate, isCancellation, log, patched, setCurrentDetails, setHandler, type ActivityOptions } from '@temporalio/workflow';
import { ActivityCancellationType, ApplicationFailure } from '@temporalio/common';
import { describeSource, migrateSiteInputSchema, rejectArgsSchema, stagingDomainOf, type ApproveArgs, type MigrateSiteInput, type MigrationStage, type MigrationStatus, type RejectArgs } from '../src/migrate/input';
import { FailureType } from '../src/site/errors';
import { resolveSiteSpec, slugFromDomain, type SiteSpec } from '../src/site/spec';
import { errorMessage, HOST_STEP, REGISTRY, requireSiteWorkflowId, tagRun, validated, recordStart, refused } from './common';
import { removeSite } from './createSite';
import { issueSiteCertificate, TLS_PATCH } from './certificateStep';
import { hostActivities, sharedActivities } from './hostActivities';

export const migrationStatusQuery = defineQuery<MigrationStatus>('migrationStatus');
/** Cut the migrated site over to its production domain(s). Approving twice is harmless. */
export const approveMigrationUpdate = defineUpdate<MigrationStatus, [ApproveArgs]>('approveMigration');
/** Remove everything the migration made; input `{"reason": "..."}` (required). */
export const rejectMigrationUpdate = defineUpdate<MigrationStatus, [RejectArgs]>('rejectMigration');
export const approveMigrationSignal = defineSignal<[ApproveArgs]>('approveMigration');
export const rejectMigrationSignal = defineSignal<[RejectArgs]>('rejectMigration');

/** Streaming a dump or archive: long, heartbeating with bytes done, retried after a lost worker. */
const MIGRATE_TRANSFER: ActivityOptions = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 4, initialInterval: '2 seconds', maximumInterval: '1 minute' },
};

export interface MigrateSiteResult {
  outcome: 'live' | 'rejected';
  status: MigrationStatus;
}

/**
 * Brings an existing site in: inspects the sources before anything is created, builds the site on
 * a staging hostname, imports database and files, rewrites stored URLs, checks it through Varnish,
 * then waits — days if need be — for an operator to approve (cutover to the production domains)
 * or reject (everything the migration made is removed). Auto-rejects after a configured time.
 */
export async function migrateSite(rawInput: MigrateSiteInput): Promise<MigrateSiteResult> {
  const input = validated(migrateSiteInputSchema, rawInput);
  const slug = input.slug ?? slugFromDomain(input.domains[0]!);
  requireSiteWorkflowId(slug);
  const registry = sharedActivities(REGISTRY);
  const status: MigrationStatus = { slug, stage: 'inspecting', domains: input.domains };
  let decision: { approved: boolean; reason?: string; by?: string } | undefined;

  const decide = (approved: boolean, args: { reason?: string; by?: string } | undefined) => {
    if (decision) return;
    decision = { approved, reason: args?.reason?.trim(), by: args?.by };
    status.decision = { ...decision, at: new Date().toISOString() };
  };
  setHandler(migrationStatusQuery, () => status);
  setHandler(approveMigrationSignal, (args) => {
    if (status.stage === 'awaiting-approval') decide(true, args);
    else log.warn('approveMigration signal ignored: not awaiting approval', { stage: status.stage });
  });
  setHandler(rejectMigrationSignal, (args) => {
    if (rejectArgsSchema.safeParse(args).success) decide(false, args);
    else log.warn('rejectMigration signal ignored: a reason is required');
  });
  setHandler(
    approveMigrationUpdate,
    (args) => {
      decide(true, args);
      return status;
    },
    {
      validator: (_args: ApproveArgs) => {
        if (decision?.approved) return; // approving twice is harmless
        if (decision) throw refused('the migration was rejected; start a new one');
        if (status.stage !== 'awaiting-approval') throw refused(`the migration is ${status.stage}, not awaiting approval yet; approve once the staging site is checked`);
      },
      description: 'Approve the migration: route the production domain(s) to the site. Input {} or {"by": "name"}.',
    },
  );
  setHandler(
    rejectMigrationUpdate,
    (args) => {
      decide(false, args);
      return status;
    },
    {
      validator: (args) => {
        const parsed = rejectArgsSchema.safeParse(args);
        if (!parsed.success) throw refused(parsed.error.issues[0]?.message ?? 'a reason is required to reject a migration');
        if (decision) throw refused(`the migration was already ${decision.approved ? 'approved' : 'rejected'}`);
        if (status.stage === 'cutting-over' || status.stage === 'live') throw refused(`the migration is ${status.stage}; delete the site instead`);
      },
      description: 'Reject the migration and remove everything it made. Input {"reason": "..."} (required).',
    },
  );

  const stage = (s: MigrationStage, what: string) => {
    status.stage = s;
    setCurrentDetails(`${slug}: ${s} — ${what}`);
    log.info(what, { site: slug, stage: s });
  };

  const defaults = await registry.siteDefaults();
  const shared = sharedActivities(HOST_STEP);
  const stagingDomain = input.stagingDomain ?? stagingDomainOf(slug, await shared.stagingBase());
  // The table prefix is the dump's: known once it is inspected, before anything is created.
  let production: SiteSpec = resolveSiteSpec({ ...input, slug, host: undefined }, defaults);
  // the staging name gets no certificate: production's is requested at cutover, after approval
  let staging: SiteSpec = { ...production, domains: [stagingDomain], https: 'off' };
  status.stagingUrl = `http://${stagingDomain}/`;
  tagRun({ site: slug, domains: [...input.domains, stagingDomain], host: production.host, operation: 'migrateSite', stage: 'inspecting' });
  await recordStart({ slug, operation: 'migrateSite', requestedBy: input.requestedBy });

  const host = hostActivities(production.host, HOST_STEP);
  const transfer = hostActivities(production.host, MIGRATE_TRANSFER);
  let claimed = false;
  try {
    stage('inspecting', `inspecting ${describeSource(input.source.db)} and ${describeSource(input.source.files)}`);
    const taken = await host.domainsTaken(production.domains, slug);
    if (taken.length) throw ApplicationFailure.nonRetryable(`domain ${taken[0]} already belongs to another site; delete that site or migrate to another domain`, FailureType.DomainTaken);
    const inspected = await transfer.inspectMigrationSources({ db: input.source.db, files: input.source.files, platform: production.platform, image: production.image });
    const { tablePrefix, schemaVersion, adjusted } = inspected.db;
    status.dump = { tablePrefix, schemaVersion, adjusted };
    if (adjusted.length) log.info('the load adjusts the dump', { site: slug, adjusted });
    if (tablePrefix !== undefined) {
      production = { ...production, tablePrefix };
      staging = { ...staging, tablePrefix };
    }

    if (decision && !decision.approved) {
      stage('rejected', `rejected before anything was created: ${decision.reason}`);
      await registry.auditEnd('cancelled', `rejected before import: ${decision.reason}`);
      return { outcome: 'rejected', status };
    }
    stage('importing', `creating ${slug} on ${stagingDomain}`);
    await registry.claimSite(staging);
    claimed = true;
    await host.ensureSiteSecrets(staging);
    await host.ensureSiteDatabase(staging);
    await host.ensureSiteNetwork(staging);
    await host.ensureFilesVolume(staging);
    stage('importing', `loading the database (${inspected.db.tables} tables, ${inspected.db.bytes} bytes${tablePrefix ? `, table prefix ${tablePrefix}` : ''}${adjusted.length ? `; ${adjusted.join('; ')}` : ''})`);
    const db = await transfer.importDatabase({ slug, host: staging.host, source: input.source.db, expected: inspected.db });
    stage('importing', `extracting the files (${inspected.files.entries} entries, ${inspected.files.fileBytes} bytes)`);
    const files = await transfer.importFiles({ slug, host: staging.host, source: input.source.files, expected: inspected.files, stripComponents: inspected.files.stripComponents, platform: production.platform });
    status.imported = { tables: db.tables, rows: db.rows, files: inspected.files.files, fileBytes: inspected.files.fileBytes };

    stage('checking-staging', `starting the web container on ${stagingDomain}`);
    const blue = await host.ensureWebContainer(staging, 'blue', staging.image);
    await host.waitWebHealthy(staging, blue.name);
    const rewritten = await host.rewriteSiteUrls({ spec: staging, container: blue.name, url: `http://${stagingDomain}` });
    await registry.setSiteState(slug, { activeContainer: blue.name, imageId: blue.imageId });
    await host.syncRoutes(staging.host);
    await host.checkSiteAnswers(staging, { title: rewritten.title });
    log.info('staging site answers', { site: slug, replacedUrls: rewritten.replaced, volume: files.volume });

    const waitingSince = Date.now();
    status.waitingSince = new Date(waitingSince).toISOString();
    status.autoRejectAt = new Date(waitingSince + input.autoRejectAfterSeconds * 1000).toISOString();
    tagRun({ operation: 'migrateSite', stage: 'awaiting-approval' });
    stage('awaiting-approval', `check ${status.stagingUrl}, then approveMigration or rejectMigration (auto-reject at ${status.autoRejectAt})`);
    if (!(await condition(() => decision !== undefined, input.remindAfterSeconds * 1000))) {
      status.remindedAt = new Date().toISOString();
      const details = `REMINDER: waiting for approval since ${status.waitingSince}; staging ${status.stagingUrl}; ${status.imported.tables} tables, ${status.imported.files} files; auto-reject at ${status.autoRejectAt}`;
      setCurrentDetails(`${slug}: awaiting-approval — ${details}`);
      log.warn(details, { site: slug });
      if (!(await condition(() => decision !== undefined, (input.autoRejectAfterSeconds - input.remindAfterSeconds) * 1000))) {
        decide(false, { reason: `auto-rejected: no decision within ${input.autoRejectAfterSeconds} s`, by: 'migrateSite' });
      }
    }

    if (!decision!.approved) {
      tagRun({ operation: 'migrateSite', stage: 'rejected' });
      stage('removing', `rejected (${decision!.reason}); removing everything the migration made`);
      await CancellationScope.nonCancellable(() => removeSite(staging, host, registry));
      stage('rejected', decision!.reason ?? 'rejected');
      await registry.auditEnd('cancelled', `rejected${decision!.by ? ` by ${decision!.by}` : ''}: ${decision!.reason}`);
      return { outcome: 'rejected', status };
    }

    tagRun({ operation: 'migrateSite', stage: 'cutting-over' });
    stage('cutting-over', `routing ${production.domains.join(', ')}`);
    const green = await host.ensureWebContainer(production, 'green', production.image);
    await host.waitWebHealthy(production, green.name);
    const prod = await host.rewriteSiteUrls({ spec: production, container: green.name, url: `http://${production.domains[0]}` });
    // One registry write moves the domains: the staging name leaves the routes as the production ones arrive.
    await registry.claimSite(production);
    await registry.setSiteState(slug, { activeContainer: green.name, imageId: green.imageId, spec: production });
    await host.syncRoutes(production.host);
    await host.checkSiteAnswers(production, { title: prod.title });
    await host.removeWebContainer(slug, blue.name);
    await registry.setSiteState(slug, { status: 'active' });
    if (patched(TLS_PATCH)) await issueSiteCertificate(production, (what) => stage('cutting-over', what));
    await registry.ensureCronSchedule(slug);
    tagRun({ operation: 'migrateSite', stage: 'live' });
    stage('live', `live at http://${production.domains[0]}/`);
    await registry.auditEnd('completed', `migrated from ${describeSource(input.source.db)}; live on ${production.domains.join(', ')}${decision!.by ? `, approved by ${decision!.by}` : ''}`);
    return { outcome: 'live', status };
  } catch (err) {
    status.failure = errorMessage(err);
    stage('failed', `${errorMessage(err)}; removing what was made`);
    await CancellationScope.nonCancellable(async () => {
      if (claimed) await removeSite(staging, hostActivities(production.host, HOST_STEP), registry);
      tagRun({ operation: 'migrateSite', stage: 'failed' });
      await registry.auditEnd(isCancellation(err) ? 'cancelled' : 'failed', errorMessage(err));
    });
    throw err;
  }
}

