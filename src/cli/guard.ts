import type { Command } from 'commander';
import type { z } from 'zod';
import { ValidationError } from '../site/errors';
import { backupIdSchema, domainSchema, hostSchema, imageSchema, parseInput, plainTextSchema, platformSchema, slugSchema, titleSchema } from '../site/validate';

// Arguments and options that mean the same thing in every command, judged by the shared schemas.
const ARGUMENTS: Record<string, z.ZodType> = { site: slugSchema, domain: domainSchema };
const OPTIONS: Record<string, z.ZodType> = {
  site: slugSchema,
  slug: slugSchema,
  to: domainSchema,
  image: imageSchema,
  toImage: imageSchema,
  fromImage: imageSchema,
  host: hostSchema,
  title: titleSchema,
  platform: platformSchema,
  backup: backupIdSchema,
  note: plainTextSchema(500),
  reason: plainTextSchema(500),
};

function check(schema: z.ZodType, value: unknown, field: string): void {
  for (const [i, v] of (Array.isArray(value) ? value : [value]).entries()) {
    try {
      parseInput(schema, v);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      throw new ValidationError(Array.isArray(value) ? `${field} ${i + 1}` : field, err.problem);
    }
  }
}

/**
 * Runs before every command's action: a site, domain, image, host or backup ID given on the
 * command line is rejected, naming the argument, before anything connects or changes.
 */
export function validateCommandLine(command: Command): void {
  command.registeredArguments.forEach((arg, i) => {
    const schema = ARGUMENTS[arg.name()];
    const value = command.processedArgs[i];
    if (schema && value !== undefined) check(schema, value, `<${arg.name()}>`);
  });
  for (const option of command.options) {
    const key = option.attributeName();
    const value = command.getOptionValue(key);
    const schema = OPTIONS[key];
    if (schema && value !== undefined && command.getOptionValueSource(key) !== 'default') check(schema, value, option.long ?? key);
  }
}
