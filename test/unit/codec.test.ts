import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, DefaultFailureConverter, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeFailure, encodeFailure } from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError, loadConfig } from '../../src/config';
import { AesGcmCodec, CodecError, ensureKeyFile, loadKeyring, payloadCodec, type Keyring } from '../../src/codec';
import { failureConverter } from '../../src/codec/failureConverter';

const dir = mkdtempSync(join(tmpdir(), 'tutti-codec-'));
const keyFile = (id: string, key = randomBytes(32)) => {
  const file = join(dir, `${id}.key`);
  writeFileSync(file, key.toString('base64') + '\n');
  return file;
};
const ring = (active: string, keys: Record<string, Buffer>): Keyring => ({ activeKeyId: active, keys: new Map(Object.entries(keys)) });
const json = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const text = (p: Payload) => Buffer.from(p.data ?? []).toString('latin1') + JSON.stringify(Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString()])));

describe('AesGcmCodec', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('round-trips payloads, metadata included, and stores no plaintext', async () => {
    const codec = new AesGcmCodec(ring('k1', { k1 }));
    const input = [json({ password: 'hunter2-canary' }), json('second')];
    const [a, b] = await codec.encode(input);
    expect(text(a!)).not.toContain('hunter2-canary');
    expect(text(a!)).not.toContain('json/plain');
    expect(Buffer.from(a!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(a!.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    const decoded = await codec.decode([a!, b!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ password: 'hunter2-canary' }, 'second']);
    expect(Buffer.from(decoded[0]!.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('encrypts the same value differently each time (fresh IV)', async () => {
    const codec = new AesGcmCodec(ring('k1', { k1 }));
    const [a] = await codec.encode([json('same')]);
    const [b] = await codec.encode([json('same')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('decodes payloads without encryption metadata unchanged (plain JSON started from the UI)', async () => {
    const plain = json({ domains: ['a.example'] });
    expect(await new AesGcmCodec(ring('k1', { k1 })).decode([plain])).toEqual([plain]);
  });

  it('rotates: a new active key encrypts, the old one still decrypts', async () => {
    const [old] = await new AesGcmCodec(ring('k1', { k1 })).encode([json('before rotation')]);
    const rotated = new AesGcmCodec(ring('k2', { k1, k2 }));
    const [fresh] = await rotated.encode([json('after rotation')]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    expect((await rotated.decode([old!, fresh!])).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['before rotation', 'after rotation']);
  });

  it('refuses a key ID it does not have, naming it', async () => {
    const [p] = await new AesGcmCodec(ring('k1', { k1 })).encode([json('x')]);
    await expect(new AesGcmCodec(ring('k2', { k2 })).decode([p!])).rejects.toThrow(new CodecError('payload is encrypted with key "k1", which is not configured; add its file to TUTTI_CODEC_KEY_FILES'));
  });

  it('refuses a wrong key under the right ID', async () => {
    const [p] = await new AesGcmCodec(ring('k1', { k1 })).encode([json('x')]);
    await expect(new AesGcmCodec(ring('k1', { k1: k2 })).decode([p!])).rejects.toThrow(/does not decrypt with key "k1"/);
  });

  it('refuses a tampered payload and a payload relabelled with another key ID', async () => {
    const codec = new AesGcmCodec(ring('k1', { k1, k2: k1 }));
    const [p] = await codec.encode([json('x')]);
    const flipped = Buffer.from(p!.data!);
    flipped[20] ^= 1;
    await expect(codec.decode([{ ...p!, data: flipped }])).rejects.toThrow(CodecError);
    const relabelled = { ...p!, metadata: { ...p!.metadata, 'encryption-key-id': Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/does not decrypt with key "k2"/);
    await expect(codec.decode([{ ...p!, data: Buffer.alloc(5) }])).rejects.toThrow(/too short/);
  });
});

describe('failure converter', () => {
  it('moves messages and stack traces into a payload the codec encrypts', async () => {
    const codec = new AesGcmCodec(ring('k1', { k1: randomBytes(32) }));
    const err = ApplicationFailure.nonRetryable('cannot log in with s3cr3t-canary', 'InvalidInput');
    const failure = failureConverter.errorToFailure(err, defaultPayloadConverter);
    expect(failure.message).not.toContain('s3cr3t-canary');
    expect(failure.stackTrace ?? '').not.toContain('s3cr3t-canary');
    const encoded = await encodeFailure([codec], failure);
    expect(JSON.stringify(encoded)).not.toContain('s3cr3t-canary');
    expect(text(encoded.encodedAttributes as Payload)).not.toContain('s3cr3t-canary');
    const back = failureConverter.failureToError(await decodeFailure([codec], encoded), defaultPayloadConverter) as ApplicationFailure;
    expect(back.message).toBe('cannot log in with s3cr3t-canary');
    expect(back.type).toBe('InvalidInput');
    expect(failureConverter).toBeInstanceOf(DefaultFailureConverter);
  });

  it("leaves an Update validator's refusal readable (the UI's update dialog cannot decode), and only that", () => {
    const refusal = ApplicationFailure.create({ type: 'UpdateRefused', message: 'a reason is required to reject a migration', nonRetryable: true });
    const plain = failureConverter.errorToFailure(refusal, defaultPayloadConverter);
    expect(plain.message).toBe('a reason is required to reject a migration');
    expect(plain.stackTrace).toBe('');
    expect(plain.encodedAttributes).toBeFalsy();
    expect(plain.applicationFailureInfo?.type).toBe('UpdateRefused');
    for (const err of [ApplicationFailure.create({ type: 'InvalidInput', message: 'x' }), new Error('update refused'), ApplicationFailure.create({ message: 'UpdateRefused' })]) {
      expect(failureConverter.errorToFailure(err, defaultPayloadConverter).message).toBe('Encoded failure');
    }
  });
});

describe('codec configuration', () => {
  it('defaults to one key file in the data dir, and the codec server beside the UI', () => {
    const cfg = loadConfig({ TUTTI_DATA_DIR: '/d', TUTTI_TEMPORAL_UI_PORT: '8243' });
    expect(cfg.codec).toEqual({
      keyFiles: ['/d/secrets/codec/k1.key'],
      activeKeyId: 'k1',
      server: { enabled: true, port: 8244, allowedOrigins: ['http://127.0.0.1:8243', 'http://localhost:8243'], tokenFile: undefined },
    });
  });

  it('takes several key files and an active key; refuses an unknown active key and duplicate IDs', () => {
    const cfg = loadConfig({ TUTTI_CODEC_KEY_FILES: '/k/2026-a.key, /k/2026-b.key', TUTTI_CODEC_ACTIVE_KEY: '2026-b', TUTTI_CODEC_SERVER: 'false' });
    expect(cfg.codec.keyFiles).toEqual(['/k/2026-a.key', '/k/2026-b.key']);
    expect(cfg.codec.activeKeyId).toBe('2026-b');
    expect(cfg.codec.server.enabled).toBe(false);
    expect(() => loadConfig({ TUTTI_CODEC_KEY_FILES: '/k/a.key', TUTTI_CODEC_ACTIVE_KEY: 'b' })).toThrow(/TUTTI_CODEC_ACTIVE_KEY="b" is none of the configured keys \(a\)/);
    expect(() => loadConfig({ TUTTI_CODEC_KEY_FILES: '/k/a.key,/j/a.key' })).toThrow(/same key ID/);
    expect(() => loadConfig({ TUTTI_CODEC_KEY_FILES: 'relative.key' })).toThrow(/TUTTI_CODEC_KEY_FILES/);
    expect(() => loadConfig({ TUTTI_CODEC_SERVER: 'off' })).toThrow(/TUTTI_CODEC_SERVER must be one of/);
    expect(() => loadConfig({ TUTTI_CODEC_ALLOWED_ORIGINS: 'http://ui.example/path' })).toThrow(/TUTTI_CODEC_ALLOWED_ORIGINS/);
  });

  it('loads keys from files and names a bad file without showing its content', () => {
    const a = keyFile('a');
    const b = keyFile('b');
    const cfg = loadConfig({ TUTTI_CODEC_KEY_FILES: `${a},${b}`, TUTTI_CODEC_ACTIVE_KEY: 'b' });
    expect([...loadKeyring(cfg.codec).keys.keys()]).toEqual(['a', 'b']);
    expect(payloadCodec(cfg)).toBeInstanceOf(AesGcmCodec);
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not-a-key-but-a-secret-looking-string\n');
    const load = () => loadKeyring(loadConfig({ TUTTI_CODEC_KEY_FILES: bad }).codec);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/must hold 32 random bytes in base64/);
    expect(load).not.toThrow(/secret-looking/);
    expect(() => loadKeyring(loadConfig({ TUTTI_CODEC_KEY_FILES: join(dir, 'missing.key') }).codec)).toThrow(/missing\.key is not readable \(ENOENT\); run npm run up/);
  });

  it('creates a key file once, readable by its owner only', async () => {
    const file = join(dir, 'new', 'k9.key');
    expect(await ensureKeyFile(file)).toBe(true);
    const first = readFileSync(file, 'utf8');
    expect(await ensureKeyFile(file)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o400);
    expect(loadKeyring(loadConfig({ TUTTI_CODEC_KEY_FILES: file }).codec).keys.get('k9')).toHaveLength(32);
  });
});
