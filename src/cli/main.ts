import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config';
import { registerBackupCommands } from './backups';
import { registerCertCommands } from './certs';
import { registerCronCommands } from './cron';
import { validateCommandLine } from './guard';
import { registerMigrateCommands } from './migrate';
import { registerPlatformCommands } from './platform';
import { registerSecretCommands } from './secrets';
import { registerSiteCommands } from './sites';
import { registerUpgradeCommands } from './upgrade';
import { CliError } from './output';
import { ValidationError } from '../site/errors';

async function main(argv: string[]): Promise<void> {
  const program = new Command('tutti')
    .description('Tutti: durable lifecycle operations for Drupal + CiviCRM and WordPress sites on Docker')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (_program, command) => validateCommandLine(command));
  registerPlatformCommands(program);
  registerSiteCommands(program);
  registerMigrateCommands(program);
  registerBackupCommands(program);
  registerSecretCommands(program);
  registerCronCommands(program);
  registerUpgradeCommands(program);
  registerCertCommands(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof ValidationError) {
    process.stderr.write(`tutti: invalid input: ${err.message}\n`);
    process.exit(2);
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`tutti: ${msg.split('\n')[0]}\n`);
  process.exit(err instanceof CliError ? err.exitCode : err instanceof ConfigError ? 3 : 1);
});
