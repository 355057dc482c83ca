/**
 * Turn a bench workflow source into importable modules in a tmp dir:
 * compiled by reawait, stripped to native JS, or run through Babel's
 * regenerator pipeline. Compiled modules import the built runtime by file
 * URL, so they share one workflow registry with dist/runtime/testing.js.
 */
import { transformSync } from '@babel/core';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, distUrl, scratchDir } from './paths.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
export const plugin = (name) => {
  const m = require(name);
  return m.default ?? m;
};

let dir;
let n = 0;
async function load(code, name) {
  dir ??= scratchDir('wf');
  const file = path.join(dir, `${name}-${++n}.mjs`);
  writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}

/** reawait compile(source), imported. */
export async function importCompiled(source, name) {
  const { compile } = await import(distUrl('compiler/index.js'));
  const { code } = compile(source, { filename: `bench/${name}.ts`, sourceMaps: false, importSource: distUrl('runtime/workflow.js') });
  return load(code, `${name}.compiled`);
}

/** The source as plain JS (types stripped), imported. */
export async function importNative(source, name) {
  const { code } = transformSync(source, { filename: `${name}.ts`, babelrc: false, configFile: false, plugins: [plugin('@babel/plugin-transform-typescript')] });
  return load(code, `${name}.native`);
}

/** The source through async-to-generator + regenerator (Babel's own async lowering), imported. */
export async function importRegenerator(source, name) {
  const { code } = transformSync(source, {
    filename: `${name}.ts`,
    babelrc: false,
    configFile: false,
    plugins: [plugin('@babel/plugin-transform-typescript'), plugin('@babel/plugin-transform-async-to-generator'), plugin('@babel/plugin-transform-regenerator')],
  });
  return load(code, `${name}.regenerator`);
}
