import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Moves failure messages and stack traces into an encoded payload, so the payload codec
 * encrypts them like inputs and results. Loaded by path, because workflow code (in the worker's
 * sandbox) converts its failures too: the workflow bundle is built with this file.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
