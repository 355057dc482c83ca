import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources; these aliases make the package's
// own entry points resolve to them (compiled fixtures import 'reawait/workflow').
export default defineConfig({
  resolve: {
    alias: [
      { find: /^reawait\/workflow$/, replacement: here('./runtime/workflow.ts') },
      { find: /^reawait\/testing$/, replacement: here('./runtime/testing.ts') },
      { find: /^reawait\/compiler$/, replacement: here('./compiler/index.ts') },
      { find: /^reawait\/babel$/, replacement: here('./compiler/babel-plugin.ts') },
      { find: /^reawait$/, replacement: here('./runtime/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Runs alone afterwards (vitest.fresh-clone.config.ts): it runs the whole suite again in a clone.
    // test/.compiled holds apps the tests generate (one has its own Vitest test, run by its test).
    exclude: ['test/fresh-clone.test.ts', 'test/.compiled/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
