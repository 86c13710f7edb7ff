import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TuttiConfig } from '../config';
import type { PlatformReport } from '../../workflows/checkPlatform';
import { tuttiStartOptions } from './start';

/** Runs `checkPlatform` and returns its report, whether the platform is healthy or not. */
export async function runPlatformCheck(client: Client, cfg: TuttiConfig, host?: string): Promise<PlatformReport> {
  const workflowId = `platform-check/${new Date().toISOString()}`;
  const handle = await client.workflow.start('checkPlatform', {
    ...tuttiStartOptions(cfg, { workflowType: 'checkPlatform', workflowId, input: host ? { host } : {}, summary: `Platform check of host ${host ?? cfg.hostName}` }),
    workflowExecutionTimeout: '2 minutes',
  });
  try {
    return (await handle.result()) as PlatformReport;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.details?.[0]) {
      return err.cause.details[0] as PlatformReport;
    }
    throw err;
  }
}
