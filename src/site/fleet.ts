import { z } from 'zod';
import { imageSchema, requestedBySchema, slugSchema } from './validate';

export const upgradeFleetInputSchema = z
  .object({
    toImage: imageSchema,
    /** Selector: every site currently on this image… */
    fromImage: imageSchema.optional(),
    /** …or exactly these sites. */
    sites: z.array(slugSchema).min(1).max(1000).optional(),
    /** Sites upgraded at the same time. */
    batchSize: z.number().int().min(1).max(20).default(2),
    drainSeconds: z.number().int().min(0).max(600).default(5),
    requestedBy: requestedBySchema.optional(),
  })
  .strict()
  .refine((i) => (i.fromImage === undefined) !== (i.sites === undefined), { message: 'give exactly one of fromImage or sites', path: ['fromImage'] });
export type UpgradeFleetInput = z.input<typeof upgradeFleetInputSchema>;

export interface FleetStatus {
  toImage: string;
  state: 'running' | 'paused' | 'stopped' | 'done';
  pending: string[];
  running: string[];
  upgraded: string[];
  unchanged: string[];
  rolledBack: { site: string; failure: string }[];
  /** Why the fleet waits, when paused. */
  pausedBecause?: string;
  stoppedBecause?: string;
}
