import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/site/searchAttributes';

/**
 * docker-compose.temporal.yml cannot be started here (no registry), so its structure is
 * checked against the code it must agree with: config.ts, searchAttributes.ts, Dockerfile.worker.
 */

type Mount = string | { type?: string; source?: string; target?: string };
type Port = string | number | { published?: string | number; target?: string | number; host_ip?: string };
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Port[];
  volumes?: Mount[];
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: unknown };
  user?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, { driver_opts?: Record<string, string> } | null>;
  secrets?: Record<string, { file?: string; external?: boolean }>;
}

const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const compose = parse(read('docker-compose.temporal.yml')) as Compose;
const services = compose.services;
const service = (name: string): Service => {
  const svc = services[name];
  if (!svc) throw new Error(`docker-compose.temporal.yml has no service "${name}"`);
  return svc;
};

function envOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function mountsOf(svc: Service): { source: string; target: string }[] {
  return (svc.volumes ?? []).map((m) => {
    if (typeof m !== 'string') return { source: m.source ?? '', target: m.target ?? '' };
    const [source, target] = m.split(':');
    return { source: source!, target: target ?? source! };
  });
}

/** Host port → container port, from short ("[ip:]published:target") or long syntax. */
function portsOf(svc: Service): { published: number; target: number }[] {
  return (svc.ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: Number(p.published), target: Number(p.target) };
    const parts = String(p).split('/')[0]!.split(':');
    return { published: Number(parts[parts.length - 2]), target: Number(parts[parts.length - 1]) };
  });
}

const secretsOf = (svc: Service): string[] => (svc.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source));
const isNamedVolume = (source: string) => source !== '' && !/^[./~$]/.test(source);
const commandText = (svc: Service) => [svc.entrypoint ?? [], svc.command ?? []].flat().join('\n');

/** A name that would carry a secret. Access key IDs are identifiers, not secrets. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|PRIVATE|KEY(?!_ID)/;

const workerEnv = envOf(service('worker'));

describe('docker-compose.temporal.yml', () => {
  it('has the services of the production-like platform', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-admin-tools', 'temporal-setup', 'temporal-ui', 'minio', 'worker']),
    );
  });

  it('publishes Temporal on 7233, its UI on 8233 and MinIO on 9000', () => {
    expect(portsOf(service('temporal'))).toContainEqual({ published: 7233, target: 7233 });
    expect(portsOf(service('temporal-ui'))).toContainEqual({ published: 8233, target: 8080 });
    expect(portsOf(service('minio'))).toContainEqual({ published: 9000, target: 9000 });
  });

  it('keeps the data of PostgreSQL, MinIO and the worker in declared named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const minioCommand = [service('minio').command ?? []].flat().join(' ');
    const minioData = /\bserver\s+(\/\S+)/.exec(minioCommand)?.[1];
    expect(minioData).toBeDefined();
    const expected: [string, string][] = [
      ['postgresql', '/var/lib/postgresql/data'],
      ['minio', minioData!],
      ['worker', workerEnv.TUTTI_DATA_DIR ?? '(TUTTI_DATA_DIR unset)'],
    ];
    for (const [name, target] of expected) {
      const mount = mountsOf(service(name)).find((m) => m.target === target);
      expect({ service: name, target, source: mount?.source, named: isNamedVolume(mount?.source ?? '') }).toEqual({
        service: name,
        target,
        source: expect.any(String),
        named: true,
      });
      expect(declared).toContain(mount!.source);
    }
  });

  it('declares every named volume it uses, and uses every one it declares', () => {
    const used = Object.values(services).flatMap((svc) => mountsOf(svc).map((m) => m.source).filter(isNamedVolume));
    expect([...new Set(used)].sort()).toEqual(Object.keys(compose.volumes ?? {}).sort());
  });

  it('binds the worker data volume, if to a host path, to the path the worker sees', () => {
    // The engine resolves bind sources (secret files for site containers) on the host.
    const source = mountsOf(service('worker')).find((m) => m.target === workerEnv.TUTTI_DATA_DIR)?.source ?? '';
    const device = compose.volumes?.[source]?.driver_opts?.device;
    if (device !== undefined) expect(device).toBe(workerEnv.TUTTI_DATA_DIR);
  });

  it('gives the worker every variable it needs', () => {
    for (const key of ['TEMPORAL_NAMESPACE', 'TUTTI_HOST_NAME', 'TUTTI_S3_BUCKET', 'TUTTI_S3_ACCESS_KEY_ID', 'TUTTI_S3_SECRET_ACCESS_KEY_FILE']) {
      expect({ key, set: (workerEnv[key] ?? '') !== '' }).toEqual({ key, set: true });
    }
    expect(workerEnv.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(workerEnv.TUTTI_S3_ENDPOINT).toBe('http://minio:9000');
    expect(workerEnv.TUTTI_DATA_DIR).toBe('/var/lib/tutti');
    const socket = workerEnv.DOCKER_HOST?.startsWith('unix://') ? workerEnv.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
    const reachesDocker = workerEnv.DOCKER_HOST?.startsWith('tcp://') || mountsOf(service('worker')).some((m) => m.target === socket);
    expect({ DOCKER_HOST: workerEnv.DOCKER_HOST, reachesDocker }).toEqual({ DOCKER_HOST: workerEnv.DOCKER_HOST, reachesDocker: true });
  });

  it('puts no secret in any environment: secret-named variables are *_FILE paths under /run/secrets', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(svc))) {
        if (!SECRET_NAME.test(key)) continue;
        expect({ service: name, key, value }).toEqual({ service: name, key: expect.stringMatching(/_FILES?$/), value: expect.stringMatching(/^\/run\/secrets\/[\w.-]+$/) });
      }
    }
  });

  it('declares every secret at top level from a file, mounts each where a *_FILE points, and uses them all', () => {
    const declared = compose.secrets ?? {};
    const used = new Set<string>();
    for (const [name, svc] of Object.entries(services)) {
      for (const secret of secretsOf(svc)) {
        used.add(secret);
        expect({ service: name, secret, declared: secret in declared }).toEqual({ service: name, secret, declared: true });
      }
      for (const [key, value] of Object.entries(envOf(svc))) {
        const ref = /^\/run\/secrets\/([\w.-]+)$/.exec(value)?.[1];
        if (ref) expect({ service: name, key, mounted: secretsOf(svc).includes(ref) }).toEqual({ service: name, key, mounted: true });
      }
    }
    for (const [secret, spec] of Object.entries(declared)) {
      expect({ secret, file: spec?.file ?? spec?.external }).toEqual({ secret, file: expect.anything() });
    }
    expect([...used].sort()).toEqual(Object.keys(declared).sort());
    expect(used).toContain(/^\/run\/secrets\/(.+)$/.exec(workerEnv.TUTTI_S3_SECRET_ACCESS_KEY_FILE ?? '')?.[1]);
  });

  it('encrypts payloads with a key from a secret file, and points the UI at a codec server holding the same keys', () => {
    const codec = envOf(service('codec-server'));
    expect(workerEnv.TUTTI_CODEC_KEY_FILES).toMatch(/^\/run\/secrets\/[\w.-]+\.key$/);
    expect(codec.TUTTI_CODEC_KEY_FILES).toBe(workerEnv.TUTTI_CODEC_KEY_FILES);
    expect(envOf(service('temporal-ui')).TEMPORAL_CODEC_ENDPOINT).toBe(`http://127.0.0.1:${codec.TUTTI_CODEC_PORT}`);
    expect(String(portsOf(service('temporal-ui'))[0]?.published)).toBe(codec.TUTTI_TEMPORAL_UI_PORT);
    expect(commandText(service('codec-server'))).toContain('dist/src/codec-server/main.js');
  });

  it('pins every image to a tag other than latest', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (!svc.image) continue;
      const lastSegment = svc.image.split('@')[0]!.split('/').pop()!;
      const tag = lastSegment.includes(':') ? lastSegment.split(':').pop()! : '';
      expect({ service: name, image: svc.image, pinned: tag !== '' && tag !== 'latest' }).toEqual({ service: name, image: svc.image, pinned: true });
    }
  });

  it('builds the worker from Dockerfile.worker, whose final stage runs dist/src/worker/main.js as a non-root user', () => {
    const build = service('worker').build;
    const dockerfile = typeof build === 'object' ? build.dockerfile : undefined;
    expect(dockerfile).toBe('Dockerfile.worker');
    expect(existsSync(join(root, typeof build === 'object' ? (build.context ?? '.') : '.', dockerfile!))).toBe(true);

    const text = read('Dockerfile.worker');
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    for (const image of froms) expect(image).toMatch(/:(?!latest$)[\w.-]+$/);
    const finalStage = text.slice(text.lastIndexOf('\nFROM '));
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(finalStage)?.[1];
    expect(cmd).toBeDefined();
    const argv = JSON.parse(cmd!) as string[];
    expect(argv).toEqual(['node', 'dist/src/worker/main.js']);
    // dist/ mirrors the source tree (tsconfig rootDir "."), so the entry point must exist in src/.
    expect(existsSync(join(root, 'src', 'worker', 'main.ts'))).toBe(true);
    const user = [...finalStage.matchAll(/^USER\s+(\S+)/gm)].pop()?.[1];
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(service('worker').user ?? 'unset').not.toMatch(/^(root|0)(:|$)/);
  });

  it('gives the worker only variables that src/config.ts reads', () => {
    const known = new Set([...read('src/config.ts').matchAll(/'((?:TUTTI|TEMPORAL)_[A-Z0-9_]+|DOCKER_HOST)'/g)].map((m) => m[1]!));
    expect(known.size).toBeGreaterThan(10);
    const unknown = Object.keys(workerEnv).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
  });

  it('registers exactly the search attributes of src/site/searchAttributes.ts, in the worker namespace', () => {
    const setup = service('temporal-setup');
    const script = commandText(setup);
    expect(script).toMatch(/temporal operator namespace create\b/);
    expect(script).toMatch(/temporal operator search-attribute create\b/);
    const registered = Object.fromEntries([...script.matchAll(/--name\s+(\S+)\s+--type\s+(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    expect(registered).toEqual(SEARCH_ATTRIBUTE_TYPES);
    expect(envOf(setup).TEMPORAL_NAMESPACE).toBe(workerEnv.TEMPORAL_NAMESPACE);
    expect(envOf(setup).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('starts in order: PostgreSQL healthy, then Temporal; setup done, then the worker', () => {
    const conditions = (svc: Service) => (Array.isArray(svc.depends_on) ? {} : (svc.depends_on ?? {}));
    expect(service('postgresql').healthcheck?.test).toBeDefined();
    expect(conditions(service('temporal')).postgresql?.condition).toBe('service_healthy');
    expect(conditions(service('worker'))['temporal-setup']?.condition).toBe('service_completed_successfully');
  });

  it('points the UI at the Temporal service', () => {
    expect(envOf(service('temporal-ui')).TEMPORAL_ADDRESS).toBe('temporal:7233');
  });
});
