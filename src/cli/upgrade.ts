import type { Command } from 'commander';
import { withClient } from '../client/connect';
import { continueFleet, currentFleetId, fleetStatus, startUpgradeFleet, stopFleet } from '../client/fleet';
import { failureLine, follow } from '../client/follow';
import { startUpgradeSite } from '../client/upgrades';
import type { FleetStatus } from '../site/fleet';
import type { UpgradeSiteResult } from '../site/upgrade';
import { CliError, printJson } from './output';
import { stepProgress } from './progress';

/** An update the workflow's validator refused: say why, in one line. */
function asCliError(err: unknown): never {
  throw new CliError(failureLine(err), 2);
}

function printFleet(s: FleetStatus): void {
  process.stdout.write(
    `fleet to ${s.toImage}: ${s.state}${s.pausedBecause ? ` (${s.pausedBecause})` : ''}${s.stoppedBecause ? ` (stopped: ${s.stoppedBecause})` : ''}\n` +
      `  upgraded     ${s.upgraded.join(', ') || '-'}\n  unchanged    ${s.unchanged.join(', ') || '-'}\n  rolled back  ${s.rolledBack.map((r) => r.site).join(', ') || '-'}\n  running      ${s.running.join(', ') || '-'}\n  pending      ${s.pending.join(', ') || '-'}\n`,
  );
}

export function registerUpgradeCommands(program: Command): void {
  program
    .command('upgrade <site>')
    .description('blue/green upgrade of a site to another image, with rollback to the exact previous image')
    .requiredOption('--image <ref>', 'the new image')
    .option('--drain <seconds>', 'seconds the old container keeps serving after the switch', '5')
    .option('--wait', 'follow progress and exit non-zero when rolled back')
    .option('--json', 'machine-readable output')
    .action((site: string, opts: { image: string; drain: string; wait?: boolean; json?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startUpgradeSite(client, cfg, { site, image: opts.image, drainSeconds: Number(opts.drain) });
        if (!opts.wait) return void process.stdout.write(`started upgradeSite ${handle.workflowId}\n`);
        const bar = stepProgress('upgradeSite', 8);
        try {
          const r = await follow<UpgradeSiteResult>(handle, bar);
          bar.stop();
          if (opts.json) printJson(r);
          else process.stdout.write(`site ${site}: ${r.outcome}, now on ${r.image} (${r.imageId.slice(0, 19)})\n`);
        } catch (err) {
          bar.stop();
          throw new CliError(`upgradeSite ${handle.workflowId} failed: ${failureLine(err)}`);
        }
      }),
    );

  const fleet = program.command('fleet').description('roll an image across many sites');
  fleet
    .command('upgrade')
    .description('upgrade every site on --from-image (or the listed --sites) to --to-image, in batches; pauses on the first failure')
    .requiredOption('--to-image <ref>', 'the new image')
    .option('--from-image <ref>', 'select every active site on this image')
    .option('--sites <slugs>', 'comma-separated site list instead of --from-image')
    .option('--batch <n>', 'sites upgraded at the same time', '2')
    .option('--wait', 'follow progress until done, stopped or paused')
    .action((opts: { toImage: string; fromImage?: string; sites?: string; batch: string; wait?: boolean }) =>
      withClient(async (client, cfg) => {
        const handle = await startUpgradeFleet(client, cfg, { toImage: opts.toImage, fromImage: opts.fromImage, sites: opts.sites?.split(','), batchSize: Number(opts.batch) });
        process.stdout.write(`started upgradeFleet ${handle.workflowId}\n`);
        if (!opts.wait) return;
        for (;;) {
          const s = await fleetStatus(client, handle.workflowId);
          if (s.state !== 'running') return printFleet(s);
          await new Promise((r) => setTimeout(r, 2_000));
        }
      }),
    );
  fleet
    .command('status [workflowId]')
    .description('upgraded / rolled back / pending sites of a fleet upgrade (default: the running one)')
    .option('--json', 'machine-readable output')
    .action((id: string | undefined, opts: { json?: boolean }) =>
      withClient(async (client) => {
        const s = await fleetStatus(client, id ?? (await currentFleetId(client)));
        if (opts.json) printJson(s);
        else printFleet(s);
      }),
    );
  fleet
    .command('continue [workflowId]')
    .description('resume a fleet upgrade paused after a failure')
    .action((id: string | undefined) => withClient(async (client) => printFleet(await continueFleet(client, id ?? (await currentFleetId(client))).catch(asCliError))));
  fleet
    .command('stop [workflowId]')
    .description('stop a fleet upgrade after its running batch')
    .requiredOption('--reason <text>', 'why (recorded in the run)')
    .action((id: string | undefined, opts: { reason: string }) =>
      withClient(async (client) => printFleet(await stopFleet(client, id ?? (await currentFleetId(client)), opts.reason).catch(asCliError))),
    );
}
