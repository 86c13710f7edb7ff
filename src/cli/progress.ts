import cliProgress from 'cli-progress';
import type { Progress } from '../client/follow';

/**
 * A step bar on a terminal, plain timestamped lines elsewhere (CI logs, pipes). Steps come
 * from the workflow's current details.
 */
export function stepProgress(title: string, totalSteps: number): Progress & { stop(): void } {
  const started = Date.now();
  if (!process.stderr.isTTY) {
    return {
      onStep: (step) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${step}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${title} [{bar}] {value}/{total} {duration}s  {step}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalSteps, 0, { step: 'starting' });
  let n = 0;
  return {
    onStep(step) {
      n = Math.min(n + 1, totalSteps);
      bar.update(n, { step });
    },
    stop() {
      bar.stop();
    },
  };
}
