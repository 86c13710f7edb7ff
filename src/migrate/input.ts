import { z } from 'zod';
import { domainSchema, imageSchema, migrationSourceSchema, platformSchema, requestedBySchema, slugSchema, titleSchema, type MigrationSource } from '../site/validate';

export const migrateSiteInputSchema = z
  .object({
    /** Production domain(s); routed only after approval. The first is the primary one. */
    domains: z.array(domainSchema).min(1, 'needs at least one domain').max(20, 'at most 20 domains'),
    slug: slugSchema.optional(),
    platform: platformSchema.default('wordpress'),
    image: imageSchema.optional(),
    title: titleSchema.optional(),
    source: z.object({ db: migrationSourceSchema, files: migrationSourceSchema }).strict(),
    /** Defaults to `<slug>.<TUTTI_STAGING_DOMAIN>`. */
    stagingDomain: domainSchema.optional(),
    /** A reminder (log and current details) once the approval has waited this long. */
    remindAfterSeconds: z.number().int().min(1).max(90 * 86_400).default(86_400),
    /** Rejected automatically, and everything removed, after this long without a decision. */
    autoRejectAfterSeconds: z.number().int().min(1).max(365 * 86_400).default(14 * 86_400),
    requestedBy: requestedBySchema.optional(),
  })
  .strict()
  .refine((i) => new Set(i.domains).size === i.domains.length, { message: 'must not repeat a domain', path: ['domains'] })
  .refine((i) => !i.stagingDomain || !i.domains.includes(i.stagingDomain), { message: 'must differ from the production domains', path: ['stagingDomain'] })
  .refine((i) => i.remindAfterSeconds < i.autoRejectAfterSeconds, { message: 'must be shorter than autoRejectAfterSeconds', path: ['remindAfterSeconds'] });

/** Input of the `migrateSite` workflow, as typed in the Temporal UI. */
export type MigrateSiteInput = z.input<typeof migrateSiteInputSchema>;

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression by the source's name: `.gz`/`.tgz` gzip, `.zst` zstd, else none. */
export function compressionOf(source: MigrationSource): Compression {
  const name = ('path' in source ? source.path : 's3' in source ? source.s3 : new URL(source.url).pathname).toLowerCase();
  if (/\.(gz|tgz)$/.test(name)) return 'gzip';
  if (/\.(zst|tzst)$/.test(name)) return 'zstd';
  return 'none';
}

/** A short, non-secret description for logs and status. */
export function describeSource(source: MigrationSource): string {
  return 'path' in source ? source.path : 's3' in source ? source.s3 : source.url;
}

export function stagingDomainOf(slug: string, base: string): string {
  return `${slug}.${base}`;
}

export type MigrationStage = 'inspecting' | 'importing' | 'checking-staging' | 'awaiting-approval' | 'cutting-over' | 'live' | 'rejected' | 'removing' | 'failed';

/** What `migrationStatus` answers. */
export interface MigrationStatus {
  slug: string;
  stage: MigrationStage;
  domains: string[];
  stagingUrl?: string;
  imported?: { tables: number; rows?: number; files: number; fileBytes: number };
  /** What the dump told before anything was created: the table prefix kept, the schema version, statements the load left out or rewrote. */
  dump?: { tablePrefix?: string; schemaVersion?: number; adjusted: string[] };
  waitingSince?: string;
  remindedAt?: string;
  autoRejectAt?: string;
  decision?: { approved: boolean; by?: string; reason?: string; at: string };
  failure?: string;
}

const REASON_REQUIRED = 'a reason is required to reject a migration: {"reason": "..."}';
export const rejectArgsSchema = z
  .object({ reason: z.string({ error: REASON_REQUIRED }).trim().min(1, REASON_REQUIRED).max(500), by: requestedBySchema.optional() }, { error: (issue) => (issue.code === 'invalid_type' ? REASON_REQUIRED : undefined) })
  .strict();
export type RejectArgs = z.input<typeof rejectArgsSchema>;
export type ApproveArgs = { by?: string } | undefined;
