import type { DataConverter } from '@temporalio/common';
import type { TuttiConfig } from '../config';
import { AesGcmCodec } from './aesGcm';
import { loadKeyring } from './keys';

export { AesGcmCodec, CodecError } from './aesGcm';
export { ensureKeyFile, loadKeyring, type Keyring } from './keys';

/** Path of the failure converter module; workflow bundles must be built with it (`bundleWorkflowCode({ failureConverterPath })`). */
export const failureConverterPath = require.resolve('./failureConverter');

/** The payload codec of this configuration's keys. */
export function payloadCodec(cfg: TuttiConfig): AesGcmCodec {
  return new AesGcmCodec(loadKeyring(cfg.codec));
}

/**
 * The one data converter of every Tutti Client and Worker: payloads encrypted with the active
 * key, failure messages and stack traces encoded (and so encrypted) too.
 */
export function dataConverter(cfg: TuttiConfig): DataConverter {
  return { payloadCodecs: [payloadCodec(cfg)], failureConverterPath };
}
