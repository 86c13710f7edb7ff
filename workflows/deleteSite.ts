import { ApplicationFailure, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { FailureType } from '../src/site/errors';
import { requestedBySchema, slugSchema } from '../src/site/validate';
import { errorMessage, HOST_STEP, REGISTRY, requireSiteWorkflowId, tagRun, validated } from './common';
import { takeBackup } from './backupSite';
import { removeSite } from './createSite';
import { hostActivities, sharedActivities } from './hostActivities';

export const deleteSiteInputSchema = z
  .object({
    site: slugSchema,
    /** A final backup is taken first (kept in S3 after the site is gone); false skips it, e.g. for a throwaway restore drill. */
    finalBackup: z.boolean().default(true),
    requestedBy: requestedBySchema.optional(),
  })
  .strict();
export type DeleteSiteInput = z.input<typeof deleteSiteInputSchema>;

/**
 * Takes a final backup, then removes the site's route, containers, network, volume, database,
 * user and secrets; only what Tutti made for it. A failed final backup stops the deletion.
 */
export async function deleteSite(rawInput: DeleteSiteInput): Promise<{ slug: string; removed: string[]; finalBackup: string | null }> {
  const input = validated(deleteSiteInputSchema, rawInput);
  requireSiteWorkflowId(input.site);
  const registry = sharedActivities(REGISTRY);
  const site = await registry.getSite(input.site);
  if (!site) throw ApplicationFailure.nonRetryable(`site ${input.site} does not exist; see tutti site list`, FailureType.SiteNotFound);
  const spec = site.spec;
  tagRun({ site: spec.slug, domains: spec.domains, host: spec.host, operation: 'deleteSite' });
  await registry.auditStart({ slug: spec.slug, operation: 'deleteSite', requestedBy: input.requestedBy, startedAt: workflowInfo().startTime.toISOString() });
  try {
    const backup = input.finalBackup ? await takeBackup(site, 'final') : null;
    setCurrentDetails(`${spec.slug}: removing route, containers, network, volume, database and user`);
    const removed = await removeSite(spec, hostActivities(spec.host, HOST_STEP), registry);
    setCurrentDetails(`${spec.slug}: deleted`);
    await registry.auditEnd('completed', `${backup ? `final backup ${backup.backupId}; ` : ''}${removed.join(', ')}`);
    return { slug: spec.slug, removed, finalBackup: backup?.backupId ?? null };
  } catch (err) {
    await registry.auditEnd('failed', errorMessage(err));
    throw err;
  }
}
