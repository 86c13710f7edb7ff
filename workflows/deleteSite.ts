import { z } from 'zod';
import { requestedBySchema, slugSchema } from '../src/site/validate';
import { beginSiteOperation, errorMessage, validated } from './common';
import { takeBackup } from './backupSite';
import { removeSite } from './createSite';

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
  const { site, spec, registry, host, step } = await beginSiteOperation(input.site, 'deleteSite', input.requestedBy);
  try {
    const backup = input.finalBackup ? await takeBackup(site, 'final') : null;
    step('removing route, containers, network, volume, database and user');
    const removed = await removeSite(spec, host, registry);
    step('deleted');
    await registry.auditEnd('completed', `${backup ? `final backup ${backup.backupId}; ` : ''}${removed.join(', ')}`);
    return { slug: spec.slug, removed, finalBackup: backup?.backupId ?? null };
  } catch (err) {
    await registry.auditEnd('failed', errorMessage(err));
    throw err;
  }
}
