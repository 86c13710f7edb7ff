import { ApplicationFailure } from '@temporalio/common';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectInfo } from '../src/backup/manifest';
import type { BackupBucket } from '../src/infra/backupStore';
import { HashCounter } from '../src/infra/streams';
import { FailureType } from '../src/site/errors';
import { transfer } from './backupProgress';

/** Which backup an object belongs to, for messages. */
export interface ObjectOwner {
  slug: string;
  backupId: string;
}

export function missingObject(o: ObjectInfo, of: ObjectOwner): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${o.name} of backup ${of.backupId} of site ${of.slug} is missing`, FailureType.BackupCorrupt);
}

export function wrongSize(o: ObjectInfo, of: ObjectOwner, size: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${o.name} of backup ${of.backupId} of site ${of.slug} has ${size} bytes, the manifest says ${o.bytes}: truncated or replaced`, FailureType.BackupCorrupt);
}

export function wrongChecksum(o: ObjectInfo, of: ObjectOwner, sha256: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${o.name} of backup ${of.backupId} of site ${of.slug} does not match its checksum (sha256 ${sha256.slice(0, 12)}…, manifest ${o.sha256.slice(0, 12)}…): corrupt`,
    FailureType.BackupCorrupt,
  );
}

/** Reads `key` through in full and returns its SHA-256, heartbeating the bytes read. */
export async function objectSha256(bucket: BackupBucket, key: string, o: ObjectInfo, of: ObjectOwner): Promise<string> {
  const found = await bucket.read(key);
  if (!found) throw missingObject(o, of);
  if (found.size !== o.bytes) {
    found.body.destroy();
    throw wrongSize(o, of, found.size);
  }
  const hash = new HashCounter();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const progress = transfer(`verifying ${o.name}`, () => hash.bytes, [found.body, hash, sink], o.bytes);
  try {
    await pipeline(found.body, hash, sink);
  } catch (err) {
    throw progress.cancellation() ?? err;
  } finally {
    progress.stop();
  }
  return hash.sha256();
}
