import { z } from 'zod';
import { httpsModeSchema, type HttpsMode } from './tls';
import { domainSchema, emailSchema, hostSchema, imageSchema, type Platform, platformSchema, requestedBySchema, slugSchema, titleSchema } from './validate';

/** What a site is: enough to recreate it anywhere. Contains no secrets. */
export interface SiteSpec {
  slug: string;
  /** The first domain is the primary one (the site URL). */
  domains: string[];
  platform: Platform;
  image: string;
  host: string;
  title: string;
  /**
   * Prefix of the platform's tables (WordPress `wp_`, the default when absent): a migrated site
   * keeps the one its dump has.
   */
  tablePrefix?: string;
  /** HTTPS for the site's domains (src/site/tls.ts); absent in sites recorded before it existed, which means `on`. */
  https?: HttpsMode;
  /** Send Strict-Transport-Security over HTTPS. */
  hsts?: boolean;
}

export const createSiteInputSchema = z
  .object({
    domains: z.array(domainSchema).min(1, 'needs at least one domain').max(20, 'at most 20 domains'),
    slug: slugSchema.optional(),
    platform: platformSchema.default('wordpress'),
    image: imageSchema.optional(),
    host: hostSchema.optional(),
    title: titleSchema.optional(),
    adminEmail: emailSchema.optional(),
    requestedBy: requestedBySchema.optional(),
    https: httpsModeSchema.optional(),
    hsts: z.boolean().optional(),
  })
  .strict()
  .refine((i) => new Set(i.domains).size === i.domains.length, { message: 'must not repeat a domain', path: ['domains'] });

/** Input of the `createSite` workflow, as typed in the Temporal UI. */
export type CreateSiteInput = z.input<typeof createSiteInputSchema>;

/** A slug derived from the primary domain: `www.acme-example.org` → `acme-example`. */
export function slugFromDomain(domain: string): string {
  const labels = domain.split('.');
  const meaningful = labels[0] === 'www' && labels.length > 2 ? labels[1]! : labels[0]!;
  let slug = meaningful.replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').slice(0, 30).replace(/-+$/, '');
  if (!/^[a-z]/.test(slug)) slug = `s${slug}`.slice(0, 30);
  if (slug.length < 2) slug = `${slug}x`;
  return slug;
}

export interface SiteDefaults {
  host: string;
  wordpressImage: string;
  drupalImage?: string;
  drupalCivicrmImage?: string;
}

/** Resolves optional fields of an already-validated input into a full spec. */
export function resolveSiteSpec(input: z.output<typeof createSiteInputSchema>, defaults: SiteDefaults): SiteSpec {
  const primary = input.domains[0]!;
  const image = input.image ?? { wordpress: defaults.wordpressImage, drupal: defaults.drupalImage, 'drupal-civicrm': defaults.drupalCivicrmImage }[input.platform];
  if (!image) throw new Error(`no default image for platform ${input.platform}; pass image`);
  return {
    slug: input.slug ?? slugFromDomain(primary),
    domains: input.domains,
    platform: input.platform,
    image,
    host: input.host ?? defaults.host,
    title: input.title ?? primary,
    https: input.https ?? 'on',
    ...(input.hsts ? { hsts: true } : {}),
  };
}
