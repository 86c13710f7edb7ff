import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';

/**
 * The S3 operations backups need, on one bucket. Objects are written by multipart upload from a
 * stream (memory bounded by part size × queue), aborted uploads leave nothing behind, and the
 * manifest is put with If-None-Match so one backup ID can never get two different manifests.
 */
export class BackupBucket {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /**
   * Uploads `body` to `key`. On failure the stream is destroyed, the Upload aborts its multipart
   * upload, and any upload left under `key` is aborted as well; the error is rethrown.
   */
  async upload(key: string, body: Readable, contentType: string, onProgress?: (bytes: number) => void): Promise<void> {
    const upload = new Upload({ client: this.s3, params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }, partSize: PART_BYTES, queueSize: 3, leavePartsOnError: false });
    if (onProgress) upload.on('httpUploadProgress', (p) => onProgress(p.loaded ?? 0));
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      await this.abortUploads(key).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Multipart uploads in progress under `prefix` (for stray-upload checks). The whole bucket is
   * listed and filtered here: MinIO only honours a prefix that is a complete object key.
   */
  async listUploads(prefix: string): Promise<{ key: string; uploadId: string; initiated?: Date }[]> {
    const out: { key: string; uploadId: string; initiated?: Date }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const r = await this.s3.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      for (const u of r.Uploads ?? []) if (u.Key?.startsWith(prefix) && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
      if (!r.IsTruncated) return out;
      keyMarker = r.NextKeyMarker;
      uploadIdMarker = r.NextUploadIdMarker;
    }
  }

  /** Aborts every multipart upload under `prefix` (e.g. one a killed worker left); returns how many. */
  async abortUploads(prefix: string, olderThan?: Date): Promise<number> {
    let n = 0;
    for (const u of await this.listUploads(prefix)) {
      if (olderThan && u.initiated && u.initiated > olderThan) continue;
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.key, UploadId: u.uploadId }));
      n++;
    }
    return n;
  }

  async head(key: string): Promise<{ size: number; etag: string } | undefined> {
    try {
      const r = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: r.ContentLength ?? 0, etag: r.ETag ?? '' };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The object as a stream, or undefined when it does not exist. */
  async read(key: string, signal?: AbortSignal): Promise<{ body: Readable; size: number } | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      return { body: r.Body as Readable, size: r.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async readText(key: string): Promise<string | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await r.Body!.transformToString('utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Writes `text` at `key` unless something is there. The same text already there is success
   * (a retry after a lost reply); different text throws {@link ObjectExistsError}.
   */
  async putOnce(key: string, text: string, contentType = 'application/json'): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: contentType, IfNoneMatch: '*' }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 412 && status !== 409) throw err;
      const existing = await this.readText(key);
      if (existing !== text) throw new ObjectExistsError(`${key} already exists with other content; refusing to overwrite it`);
    }
  }

  async put(key: string, text: string, contentType = 'application/json'): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: contentType }));
  }

  /** Every object under `prefix`: key and size. */
  async list(prefix: string): Promise<{ key: string; size: number; modified?: Date }[]> {
    const out: { key: string; size: number; modified?: Date }[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, modified: o.LastModified });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** The first-level folders under `prefix` (e.g. the sites that have backups). */
  async folders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }));
      for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(prefix.length).replace(/\/$/, ''));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Deletes every object under `prefix`, the manifest first so the backup stops existing at once; returns the keys. */
  async removeFolder(prefix: string, manifestName: string): Promise<string[]> {
    const keys = (await this.list(prefix)).map((o) => o.key);
    const manifest = keys.filter((k) => k.endsWith(`/${manifestName}`));
    const rest = keys.filter((k) => !k.endsWith(`/${manifestName}`));
    for (const batch of [manifest, rest]) {
      for (let i = 0; i < batch.length; i += 1000) {
        const part = batch.slice(i, i + 1000);
        if (part.length) await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: part.map((Key) => ({ Key })), Quiet: true } }));
      }
    }
    await this.abortUploads(prefix);
    return keys;
  }
}

/** 8 MiB parts, three in flight: the upload's memory stays near 32 MiB whatever the object's size. */
export const PART_BYTES = 8 * 1024 * 1024;

export class ObjectExistsError extends Error {
  override name = 'ObjectExistsError';
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
