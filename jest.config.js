/** Unit tests: pure logic. Integration tests: real Docker, MariaDB, Varnish, MinIO and Temporal (scripts/test starts them). */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] };
module.exports = {
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'], transform, testEnvironment: 'node' },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
      slowTestThreshold: 60,
    },
    {
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
      slowTestThreshold: 60,
    },
  ],
  maxWorkers: 1,
  testTimeout: 600000,
};
