import { z } from 'zod';
import { backupIdSchema, domainSchema, hostSchema, requestedBySchema, slugSchema } from '../site/validate';

/** Inputs of the backup workflows, as typed in the Temporal UI or sent by bin/tutti. */
export const backupSiteInputSchema = z
  .object({
    site: slugSchema,
    reason: z.enum(['manual', 'fleet', 'final', 'pre-restore']).default('manual'),
    requestedBy: requestedBySchema.optional(),
  })
  .strict();
export type BackupSiteInput = z.input<typeof backupSiteInputSchema>;

export const restoreSiteInputSchema = z
  .object({
    /** The site whose backup is restored (its folder in the bucket). */
    site: slugSchema,
    backupId: backupIdSchema,
    /** Restore into a new site answering on this domain (a clone) instead of the site itself. */
    to: domainSchema.optional(),
    /** Slug of the new site with `to` (default: from the domain). */
    slug: slugSchema.optional(),
    /** Docker host of a new site (default: the control plane's). */
    host: hostSchema.optional(),
    /** In place: back up the live site first, so restoring the wrong backup loses nothing (default true). */
    safetyBackup: z.boolean().default(true),
    requestedBy: requestedBySchema.optional(),
  })
  .strict()
  .refine((i) => i.slug === undefined || i.to !== undefined, { message: 'slug is only for a restore --to a new domain', path: ['slug'] });
export type RestoreSiteInput = z.input<typeof restoreSiteInputSchema>;

export const verifyBackupInputSchema = z
  .object({ site: slugSchema, backupId: backupIdSchema.optional(), requestedBy: requestedBySchema.optional() })
  .strict();
export type VerifyBackupInput = z.input<typeof verifyBackupInputSchema>;

export const fleetBackupInputSchema = z
  .object({
    /** Only these sites (default: every site in the registry). */
    sites: z.array(slugSchema).max(10_000).optional(),
    concurrency: z.number().int().min(1).max(32).optional(),
    keepDaily: z.number().int().min(0).max(366).optional(),
    keepWeekly: z.number().int().min(0).max(520).optional(),
    verifySample: z.number().int().min(0).max(100).optional(),
  })
  .strict();
export type FleetBackupInput = z.input<typeof fleetBackupInputSchema>;

/**
 * The throwaway site a restore drill uses: a slug and a `.invalid` domain (never resolvable)
 * derived from the site and backup, both valid by the shared schemas.
 */
export function drillSite(site: string, backupId: string): { slug: string; domain: string } {
  const tag = backupId.slice(-6);
  const slug = `vfy-${tag}-${site}`.slice(0, 30).replace(/-+$/, '');
  return { slug, domain: `verify-${tag}-${site}.invalid` };
}
