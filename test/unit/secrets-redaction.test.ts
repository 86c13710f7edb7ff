import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { REDACTED, redactError, redactingInterceptor, secretNeedles } from '../../activities/secretsRedaction';
import { CommandError } from '../../src/infra/errors';
import { SecretStore } from '../../src/infra/secrets';

const PASSWORD = 'Zq8vLr2mXk4TnB7wYc1pHs5dGf9jVa3e';
const SALT = 'a'.repeat(10) + 'SaltSaltSaltSaltSaltSaltSaltSalt' + 'b'.repeat(22);
const CRED = 'aes-cbc:hkdf-sha256:Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qw3E';

describe('secret redaction', () => {
  const needles = secretNeedles([PASSWORD, `<?php\ndefine('AUTH_KEY', '${SALT}');\n`, CRED, 'short']);

  it('scrubs whole secrets and the long tokens of multi-value secret files', () => {
    expect(needles).toContain(PASSWORD);
    expect(needles).toContain(SALT);
    expect(needles).toContain(CRED.split(':')[2]);
    expect(needles).not.toContain('AUTH_KEY');
    expect(needles).not.toContain('short');
  });

  it('scrubs message, stack, details and causes, keeping type and retryability', () => {
    const cause = new CommandError(`tutti-wp exited 1`, 1, `PHP Fatal: mysqli('db', 'u', '${PASSWORD}')`);
    const failure = ApplicationFailure.create({ message: `install failed: ${PASSWORD}`, type: 'InstallFailed', nonRetryable: true, details: [{ outputTail: `key ${CRED.split(':')[2]}` }], cause });
    const out = redactError(failure, needles);
    expect(out).toBe(failure);
    expect(out.type).toBe('InstallFailed');
    expect(out.nonRetryable).toBe(true);
    const all = JSON.stringify({ m: out.message, s: out.stack, d: out.details, c: cause.message, ct: cause.outputTail, cs: cause.stack });
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(CRED.split(':')[2]);
    expect(out.message).toBe(`install failed: ${REDACTED}`);
    expect(cause.outputTail).toContain(REDACTED);
  });

  it('runs around every activity, reading the secrets from the store when one fails', async () => {
    const store = new SecretStore(mkdtempSync(join(tmpdir(), 'tutti-redact-')));
    await store.write('sites/acme/db_password', PASSWORD);
    const { inbound } = redactingInterceptor(store)({} as never);
    const input = { args: [], headers: {} };
    await expect(inbound!.execute!(input, async () => 'ok')).resolves.toBe('ok');
    await expect(inbound!.execute!(input, async () => Promise.reject(new Error(`denied for ${PASSWORD}`)))).rejects.toThrow(`denied for ${REDACTED}`);
  });
});
