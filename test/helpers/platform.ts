import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../../src/codec';
import { Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import { loadConfig, type TuttiConfig } from '../../src/config';
import { buildDeps } from '../../src/worker/deps';
import { createWorkers } from '../../src/worker/worker';

let runtimeInstalled = false;

/** The test platform's configuration (scripts/test-env.sh), optionally overridden. */
export function testConfig(overrides: Record<string, string> = {}): TuttiConfig {
  const cfg = loadConfig({ ...process.env, ...overrides });
  if (!/^tuttitest[0-9]?$/.test(cfg.prefix)) throw new Error('tests must run with the test environment: npm test');
  return cfg;
}

export interface RunningWorker {
  cfg: TuttiConfig;
  client: Client;
  stop(): Promise<void>;
}

/** Starts Tutti's workers in this process against the real test Temporal server. */
export async function startWorker(cfg: TuttiConfig = testConfig()): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const deps = buildDeps(cfg);
  const codePath = process.env.TUTTI_TEST_BUNDLE;
  const { workers, connection } = await createWorkers({ cfg, deps, workflowBundle: codePath ? { codePath } : undefined });
  const running = workers.map((w: Worker) => w.run());
  const client = await testClient(cfg);
  return {
    cfg,
    client,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled(running);
      await connection.close();
      await client.connection.close();
      await deps.close();
    },
  };
}

/** A client of the test platform with Tutti's data converter, as bin/tutti makes one. */
export async function testClient(cfg: TuttiConfig = testConfig()): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.temporal.address });
  return new Client({ connection, namespace: cfg.temporal.namespace, identity: 'jest', dataConverter: dataConverter(cfg) });
}

/** A client without Tutti's data converter: it sends plain JSON, as the Temporal Web UI does. */
export async function plainClient(cfg: TuttiConfig = testConfig()): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.temporal.address });
  return new Client({ connection, namespace: cfg.temporal.namespace, identity: 'web-ui' });
}
