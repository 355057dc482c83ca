/**
 * The Babel plugins compile() runs, as config items made once per option
 * combination: Babel then reuses its instantiated plugins (its cache is keyed
 * by the options object's identity) instead of rebuilding them on every call.
 */
import { createConfigItem, type ConfigItem, type PluginItem } from '@babel/core';
import { createRequire } from 'node:module';
import reawaitBabelPlugin from './babel-plugin.js';
import { rewriteImportExtensions } from './import-extensions.js';

// CommonJS plugin without type declarations.
const tsModule = createRequire(import.meta.url)('@babel/plugin-transform-typescript') as { default?: PluginItem };
const tsPlugin = (tsModule.default ?? tsModule) as PluginItem;

export interface PluginChoice {
  /** The source may hold workflows (without any, the reawait plugin would do nothing). */
  workflows: boolean;
  typescript: boolean;
  rewriteImportExtensions: boolean;
  importSource: string | undefined;
}

const cache = new Map<string, ConfigItem[]>();

export function pluginList(c: PluginChoice): ConfigItem[] {
  const key = JSON.stringify([c.workflows, c.typescript, c.rewriteImportExtensions, c.importSource ?? null]);
  let items = cache.get(key);
  if (!items) {
    items = [];
    if (c.workflows) items.push(createConfigItem([reawaitBabelPlugin, { rescanScope: false, ...(c.importSource ? { importSource: c.importSource } : {}) }]));
    if (c.typescript) items.push(createConfigItem([tsPlugin, { allowDeclareFields: true }]));
    if (c.rewriteImportExtensions) items.push(createConfigItem(rewriteImportExtensions));
    cache.set(key, items);
  }
  return items;
}
