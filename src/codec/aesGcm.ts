import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Keyring } from './keys';

export const ENCODING = 'binary/encrypted';
export const KEY_ID = 'encryption-key-id';
export const CIPHER = 'encryption-cipher';
const CIPHER_NAME = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** A payload the codec refuses to decrypt: unknown key, wrong key, tampered bytes. */
export class CodecError extends Error {
  override name = 'CodecError';
}

/**
 * AES-256-GCM over the whole serialized payload (metadata included), with a fresh 96-bit IV per
 * payload and the key ID bound in as additional authenticated data, so a payload relabelled with
 * another key ID fails to decrypt. Payloads without encryption metadata (a workflow started from
 * the Web UI with plain JSON) pass through decoding unchanged.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {
    if (!keyring.keys.has(keyring.activeKeyId)) throw new CodecError(`active key ${keyring.activeKeyId} is not in the keyring`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.activeKeyId;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(keyId));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCODING), [KEY_ID]: utf8(keyId), [CIPHER]: utf8(CIPHER_NAME) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID]) ?? '';
      const key = this.keyring.keys.get(keyId);
      if (!key) {
        throw new CodecError(`payload is encrypted with key ${JSON.stringify(keyId)}, which is not configured; add its file to TUTTI_CODEC_KEY_FILES`);
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new CodecError(`encrypted payload of ${data.length} bytes is too short to be one (key ${keyId})`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(aad(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new CodecError(`payload does not decrypt with key ${JSON.stringify(keyId)}: the key file holds another key than the one that encrypted it, or the payload was altered`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

function aad(keyId: string): Uint8Array {
  return utf8(`tutti-codec/v1 ${CIPHER_NAME} ${keyId}`);
}
