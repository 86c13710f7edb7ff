import { ApplicationFailure } from '@temporalio/common';
import { CommandError, NotOwnedError, UnavailableError } from '../src/infra/errors';
import { DomainTakenError, SiteExistsError } from '../src/infra/registry';
import { scrubDbError } from '../src/infra/mariadb';
import { FailureType, ValidationError } from '../src/site/errors';

/**
 * The one classifier from adapter errors to `ApplicationFailure` types. Unknown errors stay
 * retryable; errors a retry cannot fix are marked non-retryable.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ValidationError) return ApplicationFailure.nonRetryable(err.message, FailureType.InvalidInput);
  if (err instanceof DomainTakenError) return ApplicationFailure.nonRetryable(err.message, FailureType.DomainTaken);
  if (err instanceof SiteExistsError) return ApplicationFailure.nonRetryable(err.message, FailureType.SiteExists);
  if (err instanceof NotOwnedError) return ApplicationFailure.nonRetryable(err.message, FailureType.NotOwned);
  if (err instanceof UnavailableError) return ApplicationFailure.retryable(err.message, FailureType.ComponentUnavailable);
  // mysql2 errors carry their SQL text (which may hold a password): keep code and message only
  if (err instanceof Error && 'sql' in err) return scrubDbError(err, 'database');
  if (err instanceof CommandError) return ApplicationFailure.create({ message: err.message, type: FailureType.CommandFailed, details: [{ exitCode: err.exitCode, outputTail: err.outputTail }] });
  return err;
}

/** Wraps every function of an activity object with {@link toFailure}. */
export function classified<T extends Record<string, (...args: never[]) => Promise<unknown>>>(acts: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toFailure(err);
      }
    };
  }
  return out as T;
}
