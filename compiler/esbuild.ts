/**
 * `reawait/esbuild`: an esbuild plugin that compiles the workflow functions
 * of each module that holds a `'use workflow'` directive as esbuild loads
 * it (types stripped, an inline source map for esbuild to chain); other
 * modules are left to esbuild.
 *
 *   import { build } from 'esbuild';
 *   import reawait from 'reawait/esbuild';
 *   await build({ entryPoints: ['src/app.ts'], bundle: true, platform: 'node', format: 'esm', plugins: [reawait()] });
 */
import { readFile } from 'node:fs/promises';
import { transformWorkflows, type ReawaitPluginOptions } from './vite.js';

/** The part of esbuild's plugin API this plugin uses (esbuild is not a dependency of reawait). */
export interface EsbuildPluginBuild {
  onLoad(options: { filter: RegExp }, callback: (args: { path: string }) => Promise<{ contents: string; loader: 'js' } | undefined>): void;
}
export interface ReawaitEsbuildPlugin {
  name: 'reawait';
  setup(build: EsbuildPluginBuild): void;
}

export default function reawait(options: ReawaitPluginOptions = {}): ReawaitEsbuildPlugin {
  return {
    name: 'reawait',
    setup(build) {
      build.onLoad({ filter: /\.(m?[jt]s|[jt]sx)$/ }, async (args) => {
        const code = await readFile(args.path, 'utf8');
        const out = transformWorkflows(code, args.path, options);
        if (!out) return undefined;
        const map = out.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(out.map)).toString('base64')}\n` : '';
        return { contents: out.code + map, loader: 'js' };
      });
    },
  };
}
