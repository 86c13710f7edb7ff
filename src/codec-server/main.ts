import { loadConfig, readSecretFile } from '../config';
import { payloadCodec } from '../codec';
import { createCodecServer } from './server';

const line = (entry: Record<string, unknown>) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n');

/** Codec server entry point (started by `npm run up`): loopback only, keys and token from files. */
function main(): void {
  const cfg = loadConfig(process.env);
  const { server: opts } = cfg.codec;
  const server = createCodecServer({
    codec: payloadCodec(cfg),
    allowedOrigins: opts.allowedOrigins,
    token: opts.tokenFile === undefined ? undefined : readSecretFile(opts.tokenFile),
    log: line,
  });
  server.listen(opts.port, '127.0.0.1', () => {
    line({ level: 'INFO', message: 'tutti codec server started', url: `http://127.0.0.1:${opts.port}`, activeKey: cfg.codec.activeKeyId, allowedOrigins: opts.allowedOrigins, token: opts.tokenFile !== undefined });
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

try {
  main();
} catch (err) {
  process.stderr.write(`tutti codec server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(3);
}
