import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, type Payload } from '@temporalio/common';
import { AesGcmCodec, dataConverter } from '../../src/codec';
import { createCodecServer } from '../../src/codec-server/server';
import { codecEndpoint } from '../../src/platform/services';
import { occurrences, rawHistory } from '../helpers/leaks';
import { plainClient, startWorker, testConfig, type RunningWorker } from '../helpers/platform';

const b64 = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const meta = (p: Payload | null | undefined, key: string) => Buffer.from(p?.metadata?.[key] ?? []).toString();

/** The Temporal server's own storage, as a thief of the disk would read it. */
function serverFiles(dataDir: string): Buffer {
  const parts = ['temporal.sqlite', 'temporal.sqlite-wal'].map((f) => {
    try {
      return readFileSync(join(dataDir, f));
    } catch {
      return Buffer.alloc(0);
    }
  });
  return Buffer.concat(parts);
}

describe('payload codec with the real Temporal server and Web UI', () => {
  let w: RunningWorker;
  let ui: Client;
  const runId = randomUUID().slice(0, 8);
  const workflowId = `platform-check/ui-${runId}`;

  beforeAll(async () => {
    w = await startWorker();
    ui = await plainClient(w.cfg);
  });
  afterAll(async () => {
    await ui.connection.close();
    await w.stop();
  });

  it('a workflow started with plain JSON, as from the UI, runs; its result is stored encrypted', async () => {
    await ui.workflow.start('checkPlatform', { taskQueue: w.cfg.temporal.taskQueue, workflowId, args: [{ host: w.cfg.hostName }] });
    const report = (await w.client.workflow.getHandle(workflowId).result()) as { host: string; ok: boolean };
    expect(report).toMatchObject({ host: w.cfg.hostName, ok: true });

    const events = (await rawHistory(w.cfg, workflowId)).events ?? [];
    const input = events[0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0];
    expect(meta(input, 'encoding')).toBe('json/plain');
    const result = events.find((e) => e.workflowExecutionCompletedEventAttributes)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
    expect(meta(result, 'encoding')).toBe('binary/encrypted');
    expect(meta(result, 'encryption-key-id')).toBe(w.cfg.codec.activeKeyId);
    expect(occurrences(Buffer.from(result.data!), '"components"')).toBe(0);
  });

  it('the UI is pointed at the codec server, which decodes the stored result for the UI origin', async () => {
    const settings = (await (await fetch(`http://127.0.0.1:${w.cfg.temporal.uiPort}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe(codecEndpoint(w.cfg));

    const events = (await rawHistory(w.cfg, workflowId)).events ?? [];
    const result = events.find((e) => e.workflowExecutionCompletedEventAttributes)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]! as Payload;
    const origin = `http://127.0.0.1:${w.cfg.temporal.uiPort}`;
    const r = await fetch(`${codecEndpoint(w.cfg)}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': w.cfg.temporal.namespace, Origin: origin }, body: JSON.stringify({ payloads: [b64(result)] }) });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(origin);
    const [decoded] = ((await r.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
    expect(Buffer.from(decoded!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded!.data, 'base64').toString())).toMatchObject({ host: w.cfg.hostName, ok: true });
  });

  it('a wrong key is refused: by a client and by a codec server holding it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tutti-wrong-key-'));
    writeFileSync(join(dir, `${w.cfg.codec.activeKeyId}.key`), randomBytes(32).toString('base64'));
    writeFileSync(join(dir, 'other.key'), randomBytes(32).toString('base64'));
    for (const [keyFiles, problem] of [
      [join(dir, `${w.cfg.codec.activeKeyId}.key`), /does not decrypt with key/],
      [join(dir, 'other.key'), /which is not configured/],
    ] as const) {
      const cfg = testConfig({ TUTTI_CODEC_KEY_FILES: keyFiles });
      const client = new Client({ connection: await Connection.connect({ address: cfg.temporal.address }), namespace: cfg.temporal.namespace, dataConverter: dataConverter(cfg) });
      try {
        await expect(client.workflow.getHandle(workflowId).result()).rejects.toThrow(problem);
      } finally {
        await client.connection.close();
      }
    }

    const wrong = createCodecServer({ codec: new AesGcmCodec({ activeKeyId: w.cfg.codec.activeKeyId, keys: new Map([[w.cfg.codec.activeKeyId, randomBytes(32)]]) }), allowedOrigins: [] });
    await new Promise<void>((r) => wrong.listen(0, '127.0.0.1', r));
    try {
      const events = (await rawHistory(w.cfg, workflowId)).events ?? [];
      const result = events.find((e) => e.workflowExecutionCompletedEventAttributes)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]! as Payload;
      const r = await fetch(`http://127.0.0.1:${(wrong.address() as AddressInfo).port}/decode`, { method: 'POST', body: JSON.stringify({ payloads: [b64(result)] }) });
      expect(r.status).toBe(422);
    } finally {
      wrong.close();
    }
  });

  it('failure messages reach the server encrypted; only what the UI sent in plain stays plain', async () => {
    const secretish = `canary-${randomBytes(8).toString('hex')}`;
    const plainCanary = `plain-${randomBytes(8).toString('hex')}`;
    // Through the codec: the input and the failure that echoes it are both encrypted.
    const encrypted = await w.client.workflow.start('createSite', { taskQueue: w.cfg.temporal.taskQueue, workflowId: `site/codec-${runId}`, args: [{ domains: ['codec.example'], title: `${secretish}\u0007` }] });
    const err = await encrypted.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).message).toContain(secretish);
    // As the UI without a codec: the input is plain (the control: plain text in the server's files is found).
    await ui.workflow.start('createSite', { taskQueue: w.cfg.temporal.taskQueue, workflowId: `site/plain-${runId}`, args: [{ domains: ['plain.example'], slug: 'BAD', title: plainCanary }] });
    await w.client.workflow.getHandle(`site/plain-${runId}`).result().catch(() => undefined);

    const failure = (await rawHistory(w.cfg, `site/codec-${runId}`)).events!.find((e) => e.workflowExecutionFailedEventAttributes)!.workflowExecutionFailedEventAttributes!.failure!;
    expect(failure.message).toBe('Encoded failure');
    expect(meta(failure.encodedAttributes, 'encoding')).toBe('binary/encrypted');
    const stored = serverFiles(w.cfg.dataDir);
    expect(occurrences(stored, plainCanary)).toBeGreaterThan(0);
    expect(occurrences(stored, secretish)).toBe(0);
  });
});
