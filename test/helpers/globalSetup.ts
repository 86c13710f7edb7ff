import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { failureConverterPath } from '../../src/codec';
import { loadConfig } from '../../src/config';

/** Bundles the workflows once per run; each test's worker loads the bundle instead of re-bundling. */
export default async function globalSetup(): Promise<void> {
  const cfg = loadConfig(process.env);
  if (!/^tuttitest[0-9]?$/.test(cfg.prefix)) throw new Error(`integration tests run with the test environment only (TUTTI_PREFIX=${cfg.prefix}); use npm test`);
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), failureConverterPath, logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } as never });
  const dir = join(cfg.dataDir, 'test');
  await mkdir(dir, { recursive: true });
  const codePath = join(dir, 'workflow-bundle.js');
  await writeFile(codePath, code);
  process.env.TUTTI_TEST_BUNDLE = codePath;
}
