import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The fresh-clone test runs the README's two commands in a clone (the second is
// the whole suite), so it runs alone, after the main suite: sharing the two cores
// with it would slow both and make timing-sensitive tests flaky.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/fresh-clone.test.ts'], exclude: [] } });
