import { CancellationScope, isCancellation, log, patched, setCurrentDetails } from '@temporalio/workflow';
import type { PageExpectation } from '../src/site/pageCheck';
import { mb } from '../src/site/units';
import { restoreSiteInputSchema, type RestoreSiteInput } from '../src/backup/inputs';
import type { Manifest } from '../src/backup/manifest';
import { innermostMessage } from '../src/backup/report';
import type { SiteRecord } from '../src/infra/registry';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../src/site/errors';
import type { Color } from '../src/site/names';
import { slugFromDomain, type SiteSpec } from '../src/site/spec';
import { BACKUP_STORE, BACKUP_TRANSFER, takeBackup } from './backupSite';
import { errorMessage, HOST_STEP, REGISTRY, requireSiteWorkflowId, tagRun, validated, recordStart } from './common';
import { removeSite } from './createSite';
import { hostActivities, sharedActivities } from './hostActivities';

export interface RestoreResult {
  site: string;
  from: { site: string; backupId: string };
  /** in-place: the site itself, swapped to a new generation; new-site: a clone (--to) or a site rebuilt from the bucket. */
  mode: 'in-place' | 'new-site';
  url: string;
  generation: number;
  container: string;
  rows: number;
  files: number;
  seconds: number;
  /** In place: the backup of the live site taken just before (reason pre-restore), if any. */
  safetyBackup: string | null;
  /** What the platform's checks reported in the restored container (Drupal: drush status, cv api4). */
  checks?: string[];
}

/** Runs started before restores ran the platform's checks replay without them. */
const PLATFORM_CHECKS_PATCH = 'restore-platform-checks';

/**
 * Restores a backup. The backup is verified (manifest, objects and sizes) before anything is
 * created, and each object's SHA-256 as it is loaded, before anything is switched to it. In
 * place, it fills a new generation of database and volume, checks the counts against the
 * manifest, starts a web container of the other color on it and switches the route; the live
 * generation is removed only once the site answers from the new one, and a backup of it is taken
 * first (`safetyBackup`, default on). With `to` (or for a site the registry does not know) it
 * builds a new site from the backup instead. ID `site/<target>`.
 */
export async function restoreSite(rawInput: RestoreSiteInput): Promise<RestoreResult> {
  const input = validated(restoreSiteInputSchema, rawInput);
  const target = input.to ? (input.slug ?? slugFromDomain(input.to)) : input.site;
  requireSiteWorkflowId(target);
  const registry = sharedActivities(REGISTRY);
  tagRun({ site: target, operation: 'restoreSite', ...(input.to ? { domains: [input.to] } : {}) });
  await recordStart({ slug: target, operation: 'restoreSite', requestedBy: input.requestedBy });
  const started = Date.now();
  try {
    setCurrentDetails(`verifying backup ${input.backupId} of ${input.site}: manifest and object sizes (checksums while loading)`);
    const manifest = await sharedActivities(BACKUP_STORE).verifyBackup(input.site, input.backupId);
    const existing = input.to ? null : await registry.getSite(input.site);
    const r = existing ? await restoreInPlace(existing, manifest, input.safetyBackup) : await restoreAsNewSite(target, manifest, input.to, input.host);
    const result: RestoreResult = { ...r, from: { site: input.site, backupId: input.backupId }, seconds: Math.round((Date.now() - started) / 100) / 10 };
    await registry.auditEnd('completed', `restored ${input.site}/${input.backupId} (${result.mode}) in ${result.seconds} s: ${result.rows} rows, ${result.files} files`);
    return result;
  } catch (err) {
    await CancellationScope.nonCancellable(() => registry.auditEnd(isCancellation(err) ? 'cancelled' : 'failed', errorMessage(err)));
    throw err;
  }
}

type Restored = Omit<RestoreResult, 'from' | 'seconds'>;

function loadInput(spec: SiteSpec, generation: number, manifest: Manifest) {
  return { slug: spec.slug, host: spec.host, generation, from: { slug: manifest.site, backupId: manifest.backupId }, manifest: { objects: manifest.objects, database: manifest.database, files: manifest.files } };
}

function step(slug: string, what: string): void {
  setCurrentDetails(`${slug}: ${what}`);
  log.info(what, { site: slug });
}

async function restoreInPlace(site: SiteRecord, manifest: Manifest, safetyBackup: boolean): Promise<Restored> {
  const registry = sharedActivities(REGISTRY);
  const host = hostActivities(site.spec.host, HOST_STEP);
  const transfer = hostActivities(site.spec.host, BACKUP_TRANSFER);
  // The data comes back with the code it was saved with; domains and host stay the site's own.
  const spec: SiteSpec = { ...site.spec, image: manifest.spec.image, tablePrefix: manifest.spec.tablePrefix };
  const live = site.generation;
  const next = live + 1;
  const oldContainer = site.activeContainer;
  const color: Color = oldContainer?.endsWith('-web-blue') ? 'green' : 'blue';
  const newContainer = await host.webContainerName(spec.slug, color);
  // Before anything changes: what the site holds now, so even restoring the wrong backup loses nothing.
  const safety = safetyBackup ? await safetyBackupOf(site) : null;
  let switched = false;
  try {
    step(spec.slug, `clearing leftovers of an earlier restore (${newContainer}, generation ${next})`);
    await host.removeWebContainer(spec.slug, newContainer);
    await host.removeGeneration(spec.slug, next);
    step(spec.slug, `creating generation ${next}: database and files volume`);
    await host.ensureSiteDatabase(spec, next);
    await host.ensureFilesVolume(spec, next);
    step(spec.slug, `loading the database of backup ${manifest.backupId} into generation ${next}: ${mb(manifest.objects.db.rawBytes)} of SQL, ${manifest.database.counts.tables} tables (bytes done: Pending Activities)`);
    const db = await transfer.loadDatabase(loadInput(spec, next, manifest));
    step(spec.slug, `extracting the files of backup ${manifest.backupId} into generation ${next}: ${mb(manifest.objects.files.rawBytes)} (bytes done: Pending Activities)`);
    const files = await transfer.loadFiles(loadInput(spec, next, manifest));
    step(spec.slug, `starting ${newContainer} on generation ${next}`);
    const web = await host.ensureWebContainer(spec, color, spec.image, next);
    await host.waitWebHealthy(spec, web.name);
    const checks = patched(PLATFORM_CHECKS_PATCH) ? await host.checkPlatform(spec, web.name) : undefined;
    step(spec.slug, `switching the route to ${web.name}`);
    await registry.setSiteState(spec.slug, { activeContainer: web.name, generation: next, imageId: web.imageId, spec });
    switched = true;
    await host.syncRoutes(spec.host);
    await host.checkSiteAnswers(spec, await expectedAnswer(spec, web.name, manifest));
    step(spec.slug, `answering from generation ${next}; removing generation ${live}`);
    if (oldContainer && oldContainer !== web.name) await host.removeWebContainer(spec.slug, oldContainer);
    await host.removeGeneration(spec.slug, live);
    return { site: spec.slug, mode: 'in-place', url: `http://${spec.domains[0]}/`, generation: next, container: web.name, rows: db.rows, files: files.entries, safetyBackup: safety, ...(checks ? { checks } : {}) };
  } catch (err) {
    step(spec.slug, `restore failed (${errorMessage(err)}); the live generation ${live} stays`);
    await CancellationScope.nonCancellable(async () => {
      if (switched) {
        await registry.setSiteState(spec.slug, { activeContainer: oldContainer, generation: live, spec: site.spec, ...(site.imageId ? { imageId: site.imageId } : {}) });
        await host.syncRoutes(spec.host);
      }
      await host.removeWebContainer(spec.slug, newContainer);
      await host.removeGeneration(spec.slug, next);
    });
    throw err;
  }
}

async function safetyBackupOf(site: SiteRecord): Promise<string> {
  try {
    return (await takeBackup(site, 'pre-restore')).backupId;
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw ApplicationFailure.nonRetryable(
      `the safety backup of ${site.spec.slug} before the restore failed (${innermostMessage(err)}); nothing was changed. To restore anyway, without a copy of the live site: tutti restore --no-safety-backup (UI: "safetyBackup": false)`,
      FailureType.SafetyBackupFailed,
    );
  }
}

async function restoreAsNewSite(slug: string, manifest: Manifest, to: string | undefined, hostName: string | undefined): Promise<Restored> {
  const registry = sharedActivities(REGISTRY);
  const defaults = await registry.siteDefaults();
  const spec: SiteSpec = { slug, domains: to ? [to] : manifest.spec.domains, platform: manifest.spec.platform, image: manifest.spec.image, host: hostName ?? defaults.host, title: manifest.spec.title, tablePrefix: manifest.spec.tablePrefix };
  tagRun({ site: slug, domains: spec.domains, host: spec.host, operation: 'restoreSite' });
  const host = hostActivities(spec.host, HOST_STEP);
  const transfer = hostActivities(spec.host, BACKUP_TRANSFER);
  const leftovers = await host.siteLeftovers(slug);
  if (leftovers.length) {
    throw ApplicationFailure.nonRetryable(`site ${slug} is not registered but ${leftovers.join(', ')} exist; they may hold data, so nothing is overwritten: remove them or restore --to another domain`, FailureType.SiteExists);
  }
  step(slug, `claiming ${spec.domains.join(', ')}`);
  await registry.claimSite(spec);
  try {
    step(slug, 'creating secrets, database, network and files volume');
    await host.ensureSiteSecrets(spec);
    await host.ensureSiteDatabase(spec, 1);
    await host.ensureSiteNetwork(spec);
    await host.ensureFilesVolume(spec, 1);
    step(slug, `loading the database of ${manifest.site}/${manifest.backupId}: ${mb(manifest.objects.db.rawBytes)} of SQL, ${manifest.database.counts.tables} tables (bytes done: Pending Activities)`);
    const db = await transfer.loadDatabase(loadInput(spec, 1, manifest));
    step(slug, `extracting the files of ${manifest.site}/${manifest.backupId}: ${mb(manifest.objects.files.rawBytes)} (bytes done: Pending Activities)`);
    const files = await transfer.loadFiles(loadInput(spec, 1, manifest));
    step(slug, `starting the web container from ${spec.image}`);
    const web = await host.ensureWebContainer(spec, 'blue', spec.image, 1);
    await host.waitWebHealthy(spec, web.name);
    const checks = patched(PLATFORM_CHECKS_PATCH) ? await host.checkPlatform(spec, web.name) : undefined;
    await registry.setSiteState(slug, { activeContainer: web.name, imageId: web.imageId });
    await host.syncRoutes(spec.host);
    step(slug, 'checking the site through Varnish');
    await host.checkSiteAnswers(spec, await expectedAnswer(spec, web.name, manifest));
    await registry.setSiteState(slug, { status: 'active' });
    return { site: slug, mode: 'new-site', url: `http://${spec.domains[0]}/`, generation: 1, container: web.name, rows: db.rows, files: files.entries, safetyBackup: null, ...(checks ? { checks } : {}) };
  } catch (err) {
    step(slug, `restore failed (${errorMessage(err)}); removing what was made`);
    await CancellationScope.nonCancellable(() => removeSite(spec, hostActivities(spec.host, HOST_STEP), registry));
    throw err;
  }
}

/**
 * What the restored site must show: the name its restored database stores (the backup's, which
 * may differ from the title the site was created with). Runs started before this replay without it.
 */
async function expectedAnswer(spec: SiteSpec, container: string, manifest: Manifest): Promise<PageExpectation> {
  if (!patched('check-stored-site-name')) return { title: manifest.spec.title };
  return hostActivities(spec.host, HOST_STEP).storedSiteName(spec, container);
}
