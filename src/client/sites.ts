import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandleWithFirstExecutionRunId as WorkflowHandle } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { siteWorkflowId } from '../site/names';
import { createSiteInputSchema, slugFromDomain, type CreateSiteInput } from '../site/spec';
import { parseInput } from '../site/validate';
import type { DeleteSiteInput } from '../../workflows/deleteSite';
import { tuttiStartOptions } from './start';

export class SiteBusyError extends Error {
  override name = 'SiteBusyError';
}

/**
 * Starts a lifecycle workflow under the site's shared ID. When another operation holds it, the
 * error says which one and since when.
 */
export async function startSiteOperation(client: Client, cfg: TuttiConfig, workflowType: string, slug: string, input: object, summary: string): Promise<WorkflowHandle> {
  const workflowId = siteWorkflowId(slug);
  try {
    return await client.workflow.start(workflowType, {
      ...tuttiStartOptions(cfg, { workflowType, workflowId, input, summary, site: slug }),
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const running = await client.workflow.getHandle(workflowId).describe();
      throw new SiteBusyError(
        `site "${slug}" is busy with ${running.type} since ${running.startTime.toISOString()}; wait for it or cancel it in the UI (workflow ${workflowId})`,
      );
    }
    throw err;
  }
}

/** Validates locally first, so bad input fails before any workflow starts. */
export async function startCreateSite(client: Client, cfg: TuttiConfig, input: CreateSiteInput): Promise<WorkflowHandle> {
  const parsed = parseInput(createSiteInputSchema, input);
  const slug = parsed.slug ?? slugFromDomain(parsed.domains[0]!);
  return startSiteOperation(client, cfg, 'createSite', slug, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Create site ${slug} (${parsed.domains.join(', ')})`);
}

export async function startDeleteSite(client: Client, cfg: TuttiConfig, input: DeleteSiteInput): Promise<WorkflowHandle> {
  return startSiteOperation(client, cfg, 'deleteSite', input.site, { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity }, `Delete site ${input.site}`);
}
