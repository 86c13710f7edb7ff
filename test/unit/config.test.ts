import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const cfg = loadConfig({ HOME: '/home/op' });
    expect(cfg.prefix).toBe('tutti');
    expect(cfg.temporal.address).toBe('127.0.0.1:7233');
    expect(cfg.varnish.httpPort).toBe(8080);
    expect(cfg.s3.bucket).toBe('tutti-backups');
    expect(cfg.dataDir).toBe('/home/op/.local/share/tutti');
  });
  it('parses booleans explicitly: "false" is false', () => {
    expect(loadConfig({ TUTTI_S3_FORCE_PATH_STYLE: 'false' }).s3.forcePathStyle).toBe(false);
    expect(() => loadConfig({ TUTTI_S3_FORCE_PATH_STYLE: 'nope' })).toThrow(ConfigError);
  });
  it('names the variable in errors', () => {
    expect(() => loadConfig({ TUTTI_HTTP_PORT: '70000' })).toThrow(/TUTTI_HTTP_PORT="70000": TUTTI_HTTP_PORT must be between 1 and 65535/);
    expect(() => loadConfig({ TUTTI_PREFIX: 'Bad_Prefix' })).toThrow(/TUTTI_PREFIX/);
    expect(() => loadConfig({ DOCKER_HOST: 'ssh://x' })).toThrow(/DOCKER_HOST/);
  });
  it('reads DOCKER_HOST', () => {
    expect(loadConfig({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }).docker).toEqual({ host: '127.0.0.1', port: 2375 });
    expect(loadConfig({ DOCKER_HOST: 'unix:///run/d.sock' }).docker).toEqual({ socketPath: '/run/d.sock' });
  });
});
