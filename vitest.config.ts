import { defineConfig } from 'vitest/config';

/**
 * Two tiers, by file suffix: `*.unit.test.ts` (pure, fast, parallel) and `*.int.test.ts` (real anvil,
 * NATS, Postgres, Redis, etcd; one file at a time so that they do not fight over 2 cores).
 */
export default defineConfig({
  test: {
    // Integration files share the local services and 2 cores: one file at a time.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude: ['**/node_modules/**', '**/.data/**'],
        },
      },
      {
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          // The streams the tests create in the shared NATS go when the run ends.
          globalSetup: ['deploy/local/cleanup/streams.ts'],
          exclude: ['**/node_modules/**', '**/.data/**'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
