import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { SecretStore } from '../src/infra/secrets';

export const REDACTED = '[redacted]';

// Whole secrets of 8+ characters; inside a file of several (a PHP file of salts, CiviCRM's
// "aes-cbc:hkdf-sha256:<key>"), each token of 20+ characters: long enough never to be a word.
const MIN_WHOLE = 8;
const MIN_TOKEN = 20;

/** The strings to scrub out of a failure, longest first, so no part of a longer secret is left behind. */
export function secretNeedles(values: string[]): string[] {
  const needles = new Set<string>();
  for (const v of values) {
    if (v.length >= MIN_WHOLE) needles.add(v);
    for (const token of v.split(/[^A-Za-z0-9+/=_-]+/)) if (token.length >= MIN_TOKEN) needles.add(token);
  }
  return [...needles].sort((a, b) => b.length - a.length);
}

export function redactText(text: string, needles: string[]): string {
  let out = text;
  for (const n of needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
  return out;
}

function redactValue(value: unknown, needles: string[], depth: number): unknown {
  if (typeof value === 'string') return redactText(value, needles);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, needles, depth + 1));
  if (value instanceof Error) {
    redactError(value, needles, depth + 1);
    return value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, needles, depth + 1)]));
}

/**
 * Scrubs every secret from an error in place: message, stack, details, output tails and causes.
 * The error keeps its class, `type` and `nonRetryable`, so the workflow sees the same failure.
 */
export function redactError<E>(err: E, needles: string[], depth = 0): E {
  if (!(err instanceof Error) || depth > 8) return err;
  const fields = err as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(err), 'message', 'stack', 'cause', 'details'])) {
    const v = fields[key];
    if (typeof v === 'string' || (v !== null && typeof v === 'object')) fields[key] = redactValue(v, needles, depth + 1);
  }
  return err;
}

/**
 * Activity interceptor of every worker: a failure that would carry a secret value (a command's
 * output tail, a database message echoing SQL) is scrubbed before the SDK logs it or sends it to
 * Temporal. Secrets are looked up in the store on failure only, so a worker that restarted since
 * the secret was made still knows it.
 */
export function redactingInterceptor(secrets: SecretStore): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          throw redactError(err, secretNeedles(await secrets.values()));
        }
      },
    },
  });
}
