import type { Command } from 'commander';
import { loadConfig } from '../config';
import { withClient } from '../client/connect';
import { failureLine, follow } from '../client/follow';
import { startRotateSiteSecrets } from '../client/secrets';
import { ValidationError } from '../site/errors';
import { parseInput } from '../site/validate';
import { rotateSiteSecretsInputSchema, type RotateSiteSecretsResult } from '../site/secrets';
import { CliError, printJson } from './output';
import { stepProgress } from './progress';

/** Integers from argv: anything else stays a string, so validation names the field instead of guessing. */
const int = (v: string | undefined) => (v !== undefined && /^-?[0-9]+$/.test(v) ? Number(v) : v);

export function registerSecretCommands(program: Command): void {
  const secrets = program.command('secrets').description("rotate a site's credentials");
  secrets
    .command('rotate <site>')
    .description('new DB password for the site, applied to MariaDB and its container without downtime; the old one stops working')
    .option('--grace <seconds>', 'seconds both passwords work after the container switched (1-300)')
    .option('--wait', 'follow progress and exit non-zero on failure')
    .option('--json', 'machine-readable output')
    .action(async (site: string, opts: { grace?: string; wait?: boolean; json?: boolean }) => {
      const cfg = loadConfig(process.env);
      const input = { site, ...(opts.grace === undefined ? {} : { graceSeconds: int(opts.grace) as number }) };
      try {
        parseInput(rotateSiteSecretsInputSchema, input); // before connecting: bad input exits 2 even without a server
      } catch (err) {
        throw err instanceof ValidationError && err.field === 'graceSeconds' ? new ValidationError('--grace', err.problem) : err;
      }
      await withClient(async (client) => {
        const handle = await startRotateSiteSecrets(client, cfg, input);
        if (!opts.wait) return void process.stdout.write(`started rotateSiteSecrets ${handle.workflowId}\n`);
        const bar = stepProgress('rotateSiteSecrets', 7);
        let result: RotateSiteSecretsResult;
        try {
          result = await follow<RotateSiteSecretsResult>(handle, bar);
        } catch (err) {
          throw new CliError(`rotateSiteSecrets ${handle.workflowId} failed: ${failureLine(err)}`);
        } finally {
          bar.stop();
        }
        if (opts.json) printJson(result);
        else process.stdout.write(`site ${site}: rotated ${result.rotated.join(', ')}; the old password is refused\n`);
      }, cfg);
    });
}
