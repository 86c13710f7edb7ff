import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec';
import { createCodecServer } from '../../src/codec-server/server';

const UI = 'http://127.0.0.1:8243';
const codec = new AesGcmCodec({ activeKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
const b64 = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const value = (p: { metadata: Record<string, string>; data: string }) =>
  defaultPayloadConverter.fromPayload({ metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(p.data, 'base64') });

function serve(token?: string): Promise<{ url: string; server: Server; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const server = createCodecServer({ codec, allowedOrigins: [UI], token, log: (l) => lines.push(l) });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, lines })));
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('codec server', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve();
  });
  afterAll(() => s.server.close());

  it('decodes what the workers encoded, for the UI origin, with CORS headers', async () => {
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload({ title: 'Secret Choir' })]);
    const r = await post(`${s.url}/decode`, { payloads: [b64(enc!)] }, { Origin: UI, 'X-Namespace': 'tutti' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(UI);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    const body = (await r.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(value(body.payloads[0]!)).toEqual({ title: 'Secret Choir' });
    expect(JSON.stringify(s.lines)).not.toContain('Secret Choir');
  });

  it('encodes what the UI sends (a workflow started from the UI), and decodes it back', async () => {
    const r = await post(`${s.url}/encode`, { payloads: [b64(defaultPayloadConverter.toPayload({ site: 'acme' }))] }, { Origin: UI });
    const body = (await r.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString('latin1')).not.toContain('acme');
    const back = await codec.decode([{ metadata: { encoding: Buffer.from('binary/encrypted'), 'encryption-key-id': Buffer.from('k1') }, data: Buffer.from(body.payloads[0]!.data, 'base64') }]);
    expect(defaultPayloadConverter.fromPayload(back[0]!)).toEqual({ site: 'acme' });
  });

  it('answers the preflight of the UI origin only', async () => {
    const ok = await fetch(`${s.url}/decode`, { method: 'OPTIONS', headers: { Origin: UI, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const evil = await fetch(`${s.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    expect((await post(`${s.url}/decode`, { payloads: [b64(enc!)] }, { Origin: 'http://127.0.0.1:9999' })).status).toBe(403);
  });

  it('refuses a payload under a key it does not hold with 422 naming the key', async () => {
    const other = new AesGcmCodec({ activeKeyId: 'k7', keys: new Map([['k7', randomBytes(32)]]) });
    const [enc] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const r = await post(`${s.url}/decode`, { payloads: [b64(enc!)] });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { error: string }).error).toMatch(/key "k7", which is not configured/);
  });

  it('rejects malformed requests with a clear status', async () => {
    expect((await post(`${s.url}/decode`, 'not json')).status).toBe(400);
    expect((await post(`${s.url}/decode`, { payloads: [{ data: '%%%' }] })).status).toBe(400);
    expect((await post(`${s.url}/other`, { payloads: [] })).status).toBe(404);
    expect((await fetch(`${s.url}/decode`)).status).toBe(405);
  });

  it('requires the bearer token when one is configured', async () => {
    const t = await serve('tok-123');
    try {
      expect((await post(`${t.url}/decode`, { payloads: [] })).status).toBe(401);
      expect((await post(`${t.url}/decode`, { payloads: [] }, { Authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await post(`${t.url}/decode`, { payloads: [] }, { Authorization: 'Bearer tok-123' })).status).toBe(200);
    } finally {
      t.server.close();
    }
  });
});
