import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { failureConverterPath } from '../../src/codec';
import { loadConfig } from '../../src/config';
import { workflowInterceptorModules } from '../../src/worker/worker';

/** Bundles the workflows once per run; each test's worker loads the bundle instead of re-bundling. */
export default async function globalSetup(): Promise<void> {
  const cfg = loadConfig(process.env);
  if (!/^tuttitest[0-9]?$/.test(cfg.prefix)) throw new Error(`integration tests run with the test environment only (TUTTI_PREFIX=${cfg.prefix}); use npm test`);
  const dir = join(cfg.dataDir, 'test');
  const codePath = join(dir, 'workflow-bundle.js');
  // scripts/test runs each integration file in a process of its own and bundles once for all of them
  if (process.env.TUTTI_TEST_REUSE_BUNDLE === '1' && existsSync(codePath)) {
    process.env.TUTTI_TEST_BUNDLE = codePath;
    return;
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), workflowInterceptorModules, failureConverterPath, logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} } as never });
  await mkdir(dir, { recursive: true });
  await writeFile(codePath, code);
  process.env.TUTTI_TEST_BUNDLE = codePath;
}
