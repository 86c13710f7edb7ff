import type { Client } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { upgradeSiteInputSchema, type UpgradeSiteInput } from '../site/upgrade';
import { parseInput } from '../site/validate';
import { startSiteOperation } from './sites';

export async function startUpgradeSite(client: Client, cfg: TuttiConfig, input: UpgradeSiteInput) {
  const parsed = parseInput(upgradeSiteInputSchema, input);
  return startSiteOperation(client, cfg, 'upgradeSite', parsed.site, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Upgrade ${parsed.site} to ${parsed.image}`);
}
