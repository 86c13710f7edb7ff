import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { CodecError } from '../codec';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Browser origins (the Web UI's) that may call; a request from any other origin is refused. */
  allowedOrigins: string[];
  /** When set, every POST must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** One line per request: never payload contents. */
  log?: (entry: Record<string, unknown>) => void;
  maxBodyBytes?: number;
}

// The codec server protocol: proto3 JSON of Payloads, every bytes field in base64.
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const bodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
});
type JsonPayload = z.infer<typeof bodySchema>['payloads'][number];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTP codec server the Temporal Web UI (and `temporal --codec-endpoint`) decodes and encodes
 * payloads through: `POST /decode`, `POST /encode`. It holds the keys, so the Temporal server
 * keeps only ciphertext while an operator with access to the UI reads inputs in the clear.
 */
export function createCodecServer(opts: CodecServerOptions): Server {
  const tokenDigest = opts.token === undefined ? undefined : sha256(opts.token);
  const log = opts.log ?? (() => undefined);
  return createServer((req, res) => {
    const started = Date.now();
    handle(req, res)
      .catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : err instanceof CodecError ? 422 : 500;
        const message = err instanceof HttpError || err instanceof CodecError ? err.message : 'internal error; see the codec server log';
        if (status === 500) log({ level: 'ERROR', message: 'codec request failed', error: (err as Error).message });
        send(res, status, { error: message });
      })
      .finally(() => log({ level: 'INFO', method: req.method, path: req.url, origin: req.headers.origin, status: res.statusCode, ms: Date.now() - started }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Browsers send Origin on every cross-site POST and preflight: only the UI's origin gets an answer.
      if (!opts.allowedOrigins.includes(origin)) throw new HttpError(403, `origin ${origin} is not allowed; add it to TUTTI_CODEC_ALLOWED_ORIGINS`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const path = (req.url ?? '').split('?')[0];
    const action = path === '/encode' ? 'encode' : path === '/decode' ? 'decode' : undefined;
    if (!action) throw new HttpError(404, `no such endpoint ${path}; use POST /encode or POST /decode`);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed; use POST`);
    if (tokenDigest && !tokenMatches(req.headers.authorization, tokenDigest)) throw new HttpError(401, 'missing or wrong bearer token');
    const body = await readBody(req, opts.maxBodyBytes ?? 16 * 1024 * 1024);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'body is not JSON; expected {"payloads": [...]}');
    }
    const input = bodySchema.safeParse(parsed);
    if (!input.success) throw new HttpError(400, `body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${input.error.issues[0]!.path.join('.')} ${input.error.issues[0]!.message}`);
    const payloads = input.data.payloads.map(fromJson);
    const out = action === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    send(res, 200, { payloads: out.map(toJson) });
  }
}

function tokenMatches(header: string | undefined, digest: Buffer): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  return m !== null && timingSafeEqual(sha256(m[1]!), digest);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
