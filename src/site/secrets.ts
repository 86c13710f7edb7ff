import { z } from 'zod';
import { requestedBySchema, slugSchema } from './validate';

/** Input of `rotateSiteSecrets`, as typed in the Temporal UI or sent by `tutti secrets rotate`. */
export const rotateSiteSecretsInputSchema = z
  .object({
    site: slugSchema,
    /** Seconds between switching the mounted file and retiring the old password: requests that read the old file finish connecting. */
    graceSeconds: z.number().int('must be a whole number').min(1, 'must be 1 to 300').max(300, 'must be 1 to 300').default(10),
    requestedBy: requestedBySchema.optional(),
  })
  .strict();
export type RotateSiteSecretsInput = z.input<typeof rotateSiteSecretsInputSchema>;

export interface RotateSiteSecretsResult {
  slug: string;
  rotated: string[];
  /** Checked after the rotation by logging in with each. */
  oldPasswordRefused: boolean;
}
