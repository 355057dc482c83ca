/**
 * `reawait/vite`: a Vite plugin (so also Vitest's) that compiles the
 * workflow functions of a module as Vite loads it. It runs before Vite's own
 * TypeScript transform (`enforce: 'pre'`) and only on modules that hold a
 * `'use workflow'` or `'use step'` directive; Vite resolves and strips everything else.
 *
 *   // vite.config.ts or vitest.config.ts
 *   import reawait from 'reawait/vite';
 *   export default defineConfig({ plugins: [reawait()] });
 */
import { mayHoldDirectives } from './find-workflows.js';
import { compile } from './index.js';

export interface ReawaitPluginOptions {
  /** Where compiled workflows import their helpers from (default 'reawait/workflow'). */
  importSource?: string;
}

/** A source map as Vite and Rollup take it. */
export interface PluginSourceMap {
  version: number;
  sources: string[];
  names: string[];
  mappings: string;
  file?: string;
  sourcesContent?: string[];
}

/** The part of Vite's Plugin interface this plugin uses (Vite is not a dependency of reawait). */
export interface ReawaitVitePlugin {
  name: 'reawait';
  enforce: 'pre';
  transform(code: string, id: string): { code: string; map: PluginSourceMap | null } | null;
}

const SOURCE = /\.(m?[jt]s|[jt]sx)$/;

/** Compile `code` if it is a module with workflows; null (left to the bundler) otherwise.. */
export function transformWorkflows(code: string, file: string, options: ReawaitPluginOptions = {}): { code: string; map: PluginSourceMap | null } | null {
  if (!SOURCE.test(file) || !mayHoldDirectives(code) || /[\\/]node_modules[\\/]/.test(file)) return null;
  const out = compile(code, { filename: file, sourceMaps: true, ...(options.importSource ? { importSource: options.importSource } : {}) });
  return { code: out.code, map: out.map as PluginSourceMap | null };
}

export default function reawait(options: ReawaitPluginOptions = {}): ReawaitVitePlugin {
  return {
    name: 'reawait',
    enforce: 'pre',
    transform(code, id) {
      return transformWorkflows(code, id.split('?')[0]!, options);
    },
  };
}
