import { readdirSync, readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { payloadCodec } from '../../src/codec';
import type { TuttiConfig } from '../../src/config';

/** How often `needle` occurs in `haystack` (bytes compared as latin1, so binary files work). */
export function occurrences(haystack: Buffer | string, needle: string): number {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  return text.split(needle).length - 1;
}

/** A run's whole history (the latest run without `runId`) as the server stores and exports it: no codec applied. */
export async function rawHistory(cfg: TuttiConfig, workflowId: string, runId?: string): Promise<temporal.api.history.v1.IHistory> {
  const connection = await Connection.connect({ address: cfg.temporal.address });
  try {
    const events: temporal.api.history.v1.IHistoryEvent[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.getWorkflowExecutionHistory({ namespace: cfg.temporal.namespace, execution: { workflowId, runId }, nextPageToken });
      events.push(...(page.history?.events ?? []));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return { events };
  } finally {
    await connection.close();
  }
}

export function historyBytes(history: temporal.api.history.v1.IHistory): Buffer {
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}

/** The history as the UI shows it through the codec server: every payload (inputs, results, failures, details) decoded to text. */
export async function decodedHistoryText(cfg: TuttiConfig, history: temporal.api.history.v1.IHistory): Promise<string> {
  const codec = payloadCodec(cfg);
  const texts: string[] = [];
  const walk = async (v: unknown): Promise<void> => {
    if (v === null || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
      const [p] = await codec.decode([o as Payload]);
      texts.push(Buffer.from(p!.data ?? []).toString('utf8'));
      return;
    }
    for (const child of Object.values(o)) await walk(child);
  };
  await walk(history);
  return JSON.stringify(history) + texts.join('\n');
}

/** Every command line of every process on this host (containers' included), sampled until stopped. */
export function sampleCmdlines(intervalMs = 25): { stop(): Promise<{ samples: number; cmdlines: Set<string> }> } {
  const cmdlines = new Set<string>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const pid of readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
        try {
          cmdlines.add(readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '));
        } catch {
          // the process ended between readdir and read
        }
      }
      samples++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    /** Safe to call twice. */
    async stop() {
      stopped = true;
      await loop;
      return { samples, cmdlines };
    },
  };
}
