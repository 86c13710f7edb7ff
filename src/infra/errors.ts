/** Typed errors thrown by the adapters; activities map them to `ApplicationFailure` types. */
export class InfraError extends Error {
  override name = 'InfraError';
}

/** A component does not answer at all (engine stopped, port closed). `hint` says what to do. */
export class UnavailableError extends InfraError {
  override name = 'UnavailableError';
  constructor(
    readonly component: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${component}: ${message}; ${hint}`);
  }
}

export class NotOwnedError extends InfraError {
  override name = 'NotOwnedError';
}

export class CommandError extends InfraError {
  override name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly outputTail: string,
  ) {
    super(message);
  }
}

/** Errors a retry cannot fix. */
export function isPermanent(err: unknown): boolean {
  return err instanceof NotOwnedError;
}
