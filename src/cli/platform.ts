import type { Command } from 'commander';
import { loadConfig } from '../config';
import { connectClient } from '../client/connect';
import { runPlatformCheck } from '../client/platform';
import { platformDown, platformUp } from '../platform/up';
import { CliError, printJson, table } from './output';

export function registerPlatformCommands(program: Command): void {
  const platform = program.command('platform').description('start, stop and inspect the platform on this machine');
  platform
    .command('up')
    .description('start whatever is not running (Temporal, MinIO, MariaDB, Varnish, worker); a second run changes nothing')
    .option('--no-worker', 'do not start the worker (tests start their own)')
    .action(async (opts: { worker: boolean }) => {
      const cfg = loadConfig(process.env);
      await platformUp(cfg, { worker: opts.worker, say: (l) => process.stdout.write(l + '\n') });
      process.stdout.write(`\nTemporal UI  http://127.0.0.1:${cfg.temporal.uiPort}/namespaces/${cfg.temporal.namespace}/workflows\nSites        http://127.0.0.1:${cfg.varnish.httpPort} (by Host header)\n`);
    });
  platform
    .command('down')
    .description('stop everything; workflows, sites and data are kept')
    .action(async () => {
      await platformDown(loadConfig(process.env), (l) => process.stdout.write(l + '\n'));
    });

  program
    .command('doctor')
    .description('run the checkPlatform workflow: versions and health of Docker, MariaDB, Varnish and S3')
    .option('--host <name>', 'Docker host to check')
    .option('--json', 'machine-readable output')
    .action(async (opts: { host?: string; json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const client = await connectClient(cfg);
      try {
        const report = await runPlatformCheck(client, cfg, opts.host);
        if (opts.json) printJson(report);
        else {
          const rows = [['component', 'status', 'version', 'detail'], ...report.components.map((c) => [c.component, c.ok ? 'ok' : 'BROKEN', c.version ?? '-', c.ok ? c.detail : `${c.detail}; ${c.hint ?? ''}`])];
          process.stdout.write(`temporal ${cfg.temporal.address} namespace ${cfg.temporal.namespace}: ok\n` + table(rows));
        }
        if (!report.ok) throw new CliError(`platform on host ${report.host} is not healthy`, 2);
      } finally {
        await client.connection.close();
      }
    });
}
