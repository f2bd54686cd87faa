import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (`npm run chaos`): heavy files named `*.chaos.test.ts`, kept out of `npm test`. Each
 * file starts a whole cluster (devnet, etcd, three coordinators, ingest, projector, api) and the files
 * share 2 cores and the local services: one file at a time, one test at a time.
 */
export default defineConfig({
  test: {
    include: ['**/*.chaos.test.ts'],
    exclude: ['**/node_modules/**', '**/.data/**'],
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
    // Measurements are printed by the tests: keep them in the output.
    silent: false,
    reporters: ['verbose'],
  },
});
