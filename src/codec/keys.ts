import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, keyIdOf, type TuttiConfig } from '../config';

/** The keys a codec may use: each by its ID, and which one encrypts. */
export interface Keyring {
  activeKeyId: string;
  keys: Map<string, Buffer>;
}

const KEY_BYTES = 32;

/**
 * Reads every configured key file. Keys come from files outside the repository (by default
 * `<data dir>/secrets/codec/k1.key`, made by `npm run up`); a missing or malformed file is a
 * {@link ConfigError} that names the file and never shows its content.
 */
export function loadKeyring(codec: TuttiConfig['codec']): Keyring {
  const keys = new Map<string, Buffer>();
  for (const file of codec.keyFiles) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`codec key file ${file} is not readable (${(err as NodeJS.ErrnoException).code ?? 'error'}); run npm run up to create the first key, or fix TUTTI_CODEC_KEY_FILES`);
    }
    const key = Buffer.from(text, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== KEY_BYTES) {
      throw new ConfigError(`codec key file ${file} must hold ${KEY_BYTES} random bytes in base64 (44 characters), e.g. from: openssl rand -base64 32`);
    }
    keys.set(keyIdOf(file), key);
  }
  return { activeKeyId: codec.activeKeyId, keys };
}

/** Creates a new random key file (mode 0400) unless it exists; returns whether it was created. */
export async function ensureKeyFile(file: string): Promise<boolean> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const fh = await open(file, 'wx', 0o400);
    try {
      await fh.writeFile(randomBytes(KEY_BYTES).toString('base64') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
