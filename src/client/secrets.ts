import type { Client } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { parseInput } from '../site/validate';
import { rotateSiteSecretsInputSchema, type RotateSiteSecretsInput } from '../site/secrets';
import { startSiteOperation } from './sites';

/** Validates locally first, so bad input fails before any workflow starts. */
export async function startRotateSiteSecrets(client: Client, cfg: TuttiConfig, input: RotateSiteSecretsInput) {
  const parsed = parseInput(rotateSiteSecretsInputSchema, input);
  return startSiteOperation(client, cfg, 'rotateSiteSecrets', parsed.site, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Rotate the secrets of ${parsed.site}`);
}
