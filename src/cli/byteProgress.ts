import cliProgress from 'cli-progress';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { readProgress, type TransferProgress } from '../client/backups';

import { mb } from '../site/units';

/**
 * Follows a backup or restore: the bytes its running transfer heartbeats, with the rate since
 * that step began. A bar on a terminal, a line every few seconds elsewhere.
 */
export function followBytes(client: Client, handle: WorkflowHandle, title: string): { stop(): Promise<void> } {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ format: `${title} {done} {rate}  {step}`, stream: process.stderr, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(1, 0, { done: '', rate: '', step: 'starting' });
  let step = '';
  let stepStart = { at: Date.now(), bytes: 0 };
  let lastLine = { at: 0, label: '' };
  let running = true;
  const show = (details: string, t?: TransferProgress) => {
    const label = t?.step ?? details;
    if (!label) return;
    if (t && t.step !== step) {
      step = t.step;
      stepStart = { at: Date.now(), bytes: t.bytesDone };
    }
    const secs = (Date.now() - stepStart.at) / 1000;
    const rate = t && secs > 1 ? `${mb((t.bytesDone - stepStart.bytes) / secs)}/s` : '';
    const done = t ? `${mb(t.bytesDone)}${t.bytesTotal ? ` of ${mb(t.bytesTotal)}` : ''}` : '';
    if (bar) return bar.update(0, { done, rate, step: label });
    if (label === lastLine.label && Date.now() - lastLine.at < 5_000) return;
    lastLine = { at: Date.now(), label };
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${label}${done ? `: ${done}` : ''}${rate ? `, ${rate}` : ''}\n`);
  };
  const loop = (async () => {
    while (running) {
      try {
        const p = await readProgress(client, handle);
        show(p.details, p.transfer);
      } catch {
        // the run closed between two polls; its result says how
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // One last look, so even a run shorter than a poll leaves its final step on the screen.
      await readProgress(client, handle)
        .then((p) => show(p.details, p.transfer))
        .catch(() => undefined);
      bar?.stop();
    },
  };
}
