import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TuttiConfig } from '../config';
import { UnavailableError } from './errors';

export function createS3(cfg: TuttiConfig['s3'], secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: cfg.forcePathStyle,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey },
    maxAttempts: 3,
  });
}

function s3Unavailable(err: unknown, endpoint: string | undefined): UnavailableError | undefined {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? /\b(ECONNREFUSED|ETIMEDOUT|ENOTFOUND|ECONNRESET)\b/.exec(e.message ?? '')?.[1] ?? e.name;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'TimeoutError') {
    return new UnavailableError('s3', `${endpoint ?? 'AWS'} not answering (${code})`, 'start MinIO with npm run up, or check TUTTI_S3_ENDPOINT');
  }
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 403) return new UnavailableError('s3', `access denied at ${endpoint ?? 'AWS'}`, 'check TUTTI_S3_ACCESS_KEY_ID and the secret key file');
  return undefined;
}

/** Creates the bucket when missing; true if it had to be created. */
export async function ensureBucket(s3: S3Client, bucket: string, endpoint?: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw s3Unavailable(err, endpoint) ?? err;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw s3Unavailable(err, endpoint) ?? err;
  }
  return true;
}

/** Checks the bucket is reachable; throws an {@link UnavailableError} with the next step otherwise. */
export async function checkBucket(s3: S3Client, bucket: string, endpoint?: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) throw new UnavailableError('s3', `bucket ${bucket} does not exist`, 'run npm run up to create it');
    throw s3Unavailable(err, endpoint) ?? err;
  }
}
