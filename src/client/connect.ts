import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec';
import { loadConfig, type TuttiConfig } from '../config';

export class ClientError extends Error {
  override name = 'ClientError';
}

/** A Temporal client for Tutti's namespace, encrypting payloads (src/codec); an unreachable server is one line with the next step. */
export async function connectClient(cfg: TuttiConfig): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: cfg.temporal.address, connectTimeout: '5s' });
  } catch (err) {
    throw new ClientError(`temporal: no server at ${cfg.temporal.address} (${(err as Error).message.split('\n')[0]}); start the platform with npm run up`);
  }
  return new Client({ connection, namespace: cfg.temporal.namespace, identity: cfg.temporal.identity, dataConverter: dataConverter(cfg) });
}

/** Connects, runs `fn`, and closes the connection whatever happens: the shape of every CLI command. */
export async function withClient<T>(fn: (client: Client, cfg: TuttiConfig) => Promise<T>, cfg: TuttiConfig = loadConfig(process.env)): Promise<T> {
  const client = await connectClient(cfg);
  try {
    return await fn(client, cfg);
  } finally {
    await client.connection.close();
  }
}
