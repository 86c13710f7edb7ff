import type { Client } from '@temporalio/client';
import type { TuttiConfig } from '../config';
import { upgradeFleetInputSchema, type FleetStatus, type UpgradeFleetInput } from '../site/fleet';
import { parseInput } from '../site/validate';
import { tuttiStartOptions } from './start';

export async function startUpgradeFleet(client: Client, cfg: TuttiConfig, input: UpgradeFleetInput) {
  const parsed = parseInput(upgradeFleetInputSchema, input);
  return client.workflow.start(
    'upgradeFleet',
    tuttiStartOptions(cfg, {
      workflowType: 'upgradeFleet',
      workflowId: `fleet-upgrade/${new Date().toISOString()}`,
      input: { ...input, requestedBy: input.requestedBy ?? cfg.temporal.identity },
      summary: `Fleet upgrade to ${parsed.toImage}${parsed.fromImage ? ` of every site on ${parsed.fromImage}` : ` of ${parsed.sites!.length} site(s)`}`,
    }),
  );
}

/** The newest fleet upgrade that is still running, for `tutti fleet continue|stop|status` without an ID. */
export async function currentFleetId(client: Client): Promise<string> {
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'upgradeFleet' AND ExecutionStatus = 'Running'` })) return wf.workflowId;
  throw new Error('no fleet upgrade is running; start one with tutti fleet upgrade');
}

export async function fleetStatus(client: Client, workflowId: string): Promise<FleetStatus> {
  return client.workflow.getHandle(workflowId).query<FleetStatus>('fleetStatus');
}

export async function continueFleet(client: Client, workflowId: string): Promise<FleetStatus> {
  return client.workflow.getHandle(workflowId).executeUpdate<FleetStatus, []>('continueFleet');
}

export async function stopFleet(client: Client, workflowId: string, reason: string): Promise<FleetStatus> {
  return client.workflow.getHandle(workflowId).executeUpdate<FleetStatus, [{ reason: string }]>('stopFleet', { args: [{ reason }] });
}
