import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../src/site/errors';
import { upgradeFleetInputSchema, type FleetStatus, type UpgradeFleetInput } from '../src/site/fleet';
import { siteWorkflowId } from '../src/site/names';
import { errorMessage, REGISTRY, tagRun, validated, refused } from './common';
import { sharedActivities } from './hostActivities';
import { upgradeSite } from './upgradeSite';

export const fleetStatusQuery = defineQuery<FleetStatus>('fleetStatus');
/** Resume a fleet paused by a failure. */
export const continueFleetUpdate = defineUpdate<FleetStatus>('continueFleet');
/** End the fleet after the running batch; the remaining sites stay on their image. */
export const stopFleetUpdate = defineUpdate<FleetStatus, [{ reason: string }]>('stopFleet');
export const continueFleetSignal = defineSignal('continueFleet');
export const stopFleetSignal = defineSignal<[{ reason: string }]>('stopFleet');

/**
 * Rolls one image across many sites in batches. The first failed site pauses the fleet until
 * an operator continues or stops it (Update with validation, or Signal, from the UI or CLI).
 */
export async function upgradeFleet(rawInput: UpgradeFleetInput): Promise<FleetStatus> {
  const input = validated(upgradeFleetInputSchema, rawInput);
  tagRun({ operation: 'upgradeFleet' });
  const registry = sharedActivities(REGISTRY);
  const sites = input.sites ?? (await registry.listSites()).filter((s) => s.status === 'active' && s.spec.image === input.fromImage).map((s) => s.spec.slug);
  const status: FleetStatus = { toImage: input.toImage, state: 'running', pending: [...sites], running: [], upgraded: [], unchanged: [], rolledBack: [] };
  let stopReason: string | undefined;

  const resume = () => {
    status.state = 'running';
    status.pausedBecause = undefined;
  };
  const stop = (reason: string) => {
    stopReason = reason;
    status.stoppedBecause = reason;
  };
  setHandler(fleetStatusQuery, () => status);
  setHandler(continueFleetSignal, resume);
  setHandler(stopFleetSignal, ({ reason }) => stop(reason));
  setHandler(
    continueFleetUpdate,
    () => {
      resume();
      return status;
    },
    {
      validator: () => {
        if (status.state !== 'paused') throw refused(`the fleet is ${status.state}, not paused; nothing to continue`);
      },
      description: 'Continue a fleet upgrade paused after a failed site.',
    },
  );
  setHandler(
    stopFleetUpdate,
    ({ reason }) => {
      stop(reason);
      return status;
    },
    {
      validator: (arg) => {
        if (!arg || typeof arg.reason !== 'string' || !arg.reason.trim()) throw refused('a reason is required to stop the fleet');
        if (status.state === 'done' || status.state === 'stopped') throw refused(`the fleet is already ${status.state}`);
      },
      description: 'Stop a fleet upgrade after the running batch; input {"reason": "..."}.',
    },
  );

  const show = () =>
    setCurrentDetails(`to ${input.toImage}: ${status.upgraded.length} upgraded, ${status.rolledBack.length} rolled back, ${status.pending.length} pending${status.state === 'paused' ? ` — PAUSED: ${status.pausedBecause}` : ''}`);

  while (status.pending.length && stopReason === undefined) {
    const batch = status.pending.splice(0, input.batchSize);
    status.running = batch;
    show();
    await Promise.all(
      batch.map(async (site) => {
        try {
          const r = await executeChild(upgradeSite, {
            workflowId: siteWorkflowId(site),
            args: [{ site, image: input.toImage, drainSeconds: input.drainSeconds, requestedBy: input.requestedBy ?? `upgradeFleet ${workflowInfo().workflowId}` }],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
          (r.outcome === 'unchanged' ? status.unchanged : status.upgraded).push(site);
        } catch (err) {
          status.rolledBack.push({ site, failure: errorMessage(err) });
        }
      }),
    );
    status.running = [];
    const failedNow = status.rolledBack.filter((f) => batch.includes(f.site));
    if (failedNow.length && status.pending.length && stopReason === undefined) {
      status.state = 'paused';
      status.pausedBecause = `${failedNow.map((f) => f.site).join(', ')} failed; continue or stop the fleet`;
      tagRun({ operation: 'upgradeFleet', stage: 'paused' });
      show();
      await condition(() => status.state !== 'paused' || stopReason !== undefined);
      tagRun({ operation: 'upgradeFleet', stage: 'running' });
    }
  }
  status.state = stopReason !== undefined ? 'stopped' : 'done';
  show();
  if (status.rolledBack.length && status.state === 'done' && !status.upgraded.length && !status.unchanged.length) {
    throw ApplicationFailure.create({ message: `every site failed to upgrade to ${input.toImage}`, type: FailureType.CommandFailed, nonRetryable: true, details: [status] });
  }
  return status;
}

