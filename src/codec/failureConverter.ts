import { ApplicationFailure, DefaultFailureConverter, type PayloadConverter, type ProtoFailure } from '@temporalio/common';
import { FailureType } from '../site/errors';

const plain = new DefaultFailureConverter({ encodeCommonAttributes: false });

/**
 * Moves failure messages and stack traces into an encoded payload, so the payload codec
 * encrypts them like inputs and results. Loaded by path, because workflow code (in the worker's
 * sandbox) converts its failures too: the workflow bundle is built with this file.
 *
 * One exception: an Update refused by its validator (type UpdateRefused). The refusal goes back
 * to the caller only, never into history, and the Web UI's update dialog cannot decode a failure:
 * encoded, the operator would read "Encoded failure" instead of why. Validators build these
 * messages from states and fixed text, never from secrets.
 */
class TuttiFailureConverter extends DefaultFailureConverter {
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter, ...rest: unknown[]): ProtoFailure {
    if (err instanceof ApplicationFailure && err.type === FailureType.UpdateRefused) {
      const failure = plain.errorToFailure(err, payloadConverter, ...(rest as []));
      failure.stackTrace = '';
      return failure;
    }
    return super.errorToFailure(err, payloadConverter, ...(rest as []));
  }
}

export const failureConverter = new TuttiFailureConverter({ encodeCommonAttributes: true });
