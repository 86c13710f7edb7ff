import { ApplicationFailure, CancellationScope, patched, sleep } from '@temporalio/workflow';
import type { PageExpectation } from '../src/site/pageCheck';
import { FailureType } from '../src/site/errors';
import type { SiteSpec } from '../src/site/spec';
import { otherColor, upgradeSiteInputSchema, type UpgradeSiteInput, type UpgradeSiteResult } from '../src/site/upgrade';
import { beginSiteOperation, errorMessage, validated } from './common';
import { takeBackup } from './backupSite';

/**
 * Blue/green image upgrade: a backup to S3 and a local snapshot of the database, the new container beside the old one,
 * the platform's update commands, a direct health check, the route switch, a drain, then the
 * old container goes. On any failure traffic stays on (or returns to) the old container on the
 * exact previous image, and a database the update touched is replaced by the snapshot.
 */
export async function upgradeSite(rawInput: UpgradeSiteInput): Promise<UpgradeSiteResult> {
  const input = validated(upgradeSiteInputSchema, rawInput);
  const { site, spec, registry, host, step } = await beginSiteOperation(input.site, 'upgradeSite', input.requestedBy);
  if (site.status !== 'active' || !site.activeContainer || !site.imageId) {
    const why = `site ${input.site} is ${site.status}, not active; only an active site can be upgraded`;
    await registry.auditEnd('failed', why);
    throw ApplicationFailure.nonRetryable(why, FailureType.InvalidInput);
  }

  const previous = { container: site.activeContainer, imageId: site.imageId, image: spec.image, generation: site.generation };
  const snapshotGeneration = previous.generation + 1;
  const newColor = otherColor(previous.container);
  const newImageId = await host.resolveImage(input.image);
  if (newImageId === previous.imageId) {
    await registry.auditEnd('completed', `already on ${input.image}`);
    return { slug: spec.slug, outcome: 'unchanged', image: input.image, imageId: newImageId, previousImageId: previous.imageId };
  }

  // What the site serves now is what the new container must serve: the title may have changed in the CMS since creation.
  const live: PageExpectation = patched(LIVE_ANSWER_PATCH) ? await host.siteServesNow(spec, previous.container) : { title: spec.title };
  let dbTouched = false;
  let switched = false;
  let green: string | undefined;
  step('pre-upgrade backup to S3');
  const backup = await takeBackup(site, 'pre-upgrade');
  try {
    step('snapshot of the database before the upgrade');
    await host.ensureSiteDatabase(spec, snapshotGeneration);
    await host.copyDatabase(spec.slug, previous.generation, snapshotGeneration);
    // A rollback serves from the snapshot generation, files volume included (before: an empty volume Docker made on the bind).
    if (patched(SNAPSHOT_FILES_PATCH)) await host.copyFilesVolume(spec, previous.generation, snapshotGeneration);
    step(`starting ${input.image} beside ${previous.container}`);
    green = (await host.ensureWebContainer(spec, newColor, input.image, previous.generation)).name;
    await host.waitWebHealthy(spec, green);
    step('running the platform update commands');
    dbTouched = true;
    const updateSteps = await host.runUpdateSteps(spec, green, input.extraUpdateSteps);
    step(`update commands done: ${updateSteps.join('; ')}; checking the new container directly`);
    await host.checkWebDirect(spec, green, live);
    step('switching the route to the new container');
    const upgraded: SiteSpec = { ...spec, image: input.image };
    await registry.setSiteState(spec.slug, { activeContainer: green, imageId: newImageId, spec: upgraded });
    switched = true;
    await host.syncRoutes(spec.host);
    await host.checkSiteAnswers(upgraded, live);
    step(`draining ${previous.container} for ${input.drainSeconds}s`);
    await sleep(input.drainSeconds * 1000);
    await host.removeWebContainer(spec.slug, previous.container);
    await host.removeGeneration(spec.slug, snapshotGeneration);
    step(`upgraded to ${input.image}`);
    await registry.auditEnd('completed', `${previous.image} → ${input.image}`);
    return { slug: spec.slug, outcome: 'upgraded', image: input.image, imageId: newImageId, previousImageId: previous.imageId, backupId: backup.backupId, updateSteps };
  } catch (err) {
    const failure = errorMessage(err);
    step(`failed: ${failure}; rolling back`);
    const rolledBack = await CancellationScope.nonCancellable(() => rollback());
    step(`rolled back: ${rolledBack.join('; ')}`);
    await registry.auditEnd('failed', `${failure}; rolled back: ${rolledBack.join('; ')}`);
    // The run fails so the UI and the audit show it; details say what failed and what was undone.
    throw ApplicationFailure.create({
      message: `upgrade of ${spec.slug} to ${input.image} failed: ${failure}; rolled back: ${rolledBack.join('; ')}`,
      type: FailureType.CommandFailed,
      nonRetryable: true,
      details: [{ slug: spec.slug, outcome: 'rolled-back', image: previous.image, imageId: previous.imageId, previousImageId: previous.imageId, backupId: backup.backupId, failure, rolledBack } satisfies UpgradeSiteResult],
    });
  }

  async function rollback(): Promise<string[]> {
    const done: string[] = [];
    if (switched) {
      await registry.setSiteState(spec.slug, { activeContainer: previous.container, imageId: previous.imageId, spec });
      await host.syncRoutes(spec.host);
      done.push(`route back to ${previous.container}`);
    }
    if (green) {
      await host.removeWebContainer(spec.slug, green);
      done.push(`removed ${green}`);
    }
    if (!dbTouched) {
      await host.removeGeneration(spec.slug, snapshotGeneration);
      done.push('database untouched');
      return done;
    }
    // The update may have changed the database: move the site to the snapshot, on the exact previous image.
    const restored = (await host.ensureWebContainer(spec, newColor, previous.imageId, snapshotGeneration)).name;
    await host.waitWebHealthy(spec, restored);
    await registry.setSiteState(spec.slug, { activeContainer: restored, imageId: previous.imageId, generation: snapshotGeneration, spec });
    await host.syncRoutes(spec.host);
    await host.checkSiteAnswers(spec, live);
    await host.removeWebContainer(spec.slug, previous.container);
    await host.removeGeneration(spec.slug, previous.generation);
    done.push(`database restored from the pre-upgrade snapshot (generation ${snapshotGeneration}), serving from ${restored} on ${previous.imageId.slice(0, 19)}`);
    return done;
  }
}

/** Runs started before the snapshot included the files volume replay without copying it. */
const SNAPSHOT_FILES_PATCH = 'upgrade-snapshot-files';

/** Runs started before checks compared with the live answer replay without reading it. */
const LIVE_ANSWER_PATCH = 'check-live-answer';
