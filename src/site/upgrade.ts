import { z } from 'zod';
import type { Color } from './names';
import { imageSchema, requestedBySchema, slugSchema } from './validate';

const argvSchema = z
  .array(z.string().min(1).max(4000).refine((a) => !a.includes('\u0000'), 'must not contain NUL'))
  .min(1, 'a step is a non-empty argv array')
  .max(64);

export const upgradeSiteInputSchema = z
  .object({
    site: slugSchema,
    image: imageSchema,
    /** Extra commands (argv arrays) run in the new container after the platform's own update commands. */
    extraUpdateSteps: z.array(argvSchema).max(20).default([]),
    /** Seconds the old container keeps serving requests it already has after the switch. */
    drainSeconds: z.number().int().min(0).max(600).default(5),
    requestedBy: requestedBySchema.optional(),
  })
  .strict();
export type UpgradeSiteInput = z.input<typeof upgradeSiteInputSchema>;

export function otherColor(container: string | null): Color {
  return container?.endsWith('-web-blue') ? 'green' : 'blue';
}

export type UpgradeOutcome = 'upgraded' | 'rolled-back' | 'unchanged';

export interface UpgradeSiteResult {
  slug: string;
  outcome: UpgradeOutcome;
  image: string;
  imageId: string;
  previousImageId: string;
  /** The pre-upgrade backup in S3 (absent when nothing had to change). */
  backupId?: string;
  /** One line per update command with the last line of its output (Drupal: the update hooks that ran, as JSON). */
  updateSteps?: string[];
  /** What failed and what was rolled back, when the outcome is rolled-back. */
  failure?: string;
  rolledBack?: string[];
}
