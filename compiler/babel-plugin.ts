/**
 * reawait as a Babel 7 plugin, for users' own Babel/Vite setups:
 *
 *   plugins: ['reawait/babel']   // options: { importSource?: string }
 *
 * Every `'use workflow'` async function of a module becomes a resumable
 * state machine (see runtime/contract.ts). The workflows' metadata is left in
 * `file.metadata.reawait.workflows`. Any refused construct fails the file with
 * a CompileError listing every error.
 */
import { relative, sep } from 'node:path';
import type { PluginObj, PluginPass } from '@babel/core';
import type { WorkflowMeta } from '../runtime/contract.js';
import { compileWorkflows } from './workflow-pass.js';

export interface ReawaitPluginOptions {
  /** Module the compiled code imports its helpers from (default 'reawait/workflow'). */
  importSource?: string;
  /**
   * Re-crawl the module's scope after the workflows are replaced, so that
   * plugins whose Program exit runs after reawait's see the new bindings
   * (default true). A setup where nothing runs after it can turn it off:
   * the crawl walks the whole emitted module.
   */
  rescanScope?: boolean;
}

export interface ReawaitFileMetadata {
  workflows: WorkflowMeta[];
}

export default function reawaitBabelPlugin(): PluginObj<PluginPass & { opts: ReawaitPluginOptions }> {
  return {
    name: 'reawait',
    visitor: {
      // On exit: the other plugins of this traversal (type stripping above all)
      // have visited the source already, and nothing walks the state machines
      // this emits again: the larger output is never traversed twice.
      Program: { exit(path, state) {
        // Metadata and errors name the file relative to the working directory (`src/video.ts`).
        const abs = state.filename ?? state.file.opts.filename;
        const file = (state.file.opts as { sourceFileName?: string }).sourceFileName ?? (abs ? relative(process.cwd(), abs).split(sep).join('/') : 'unknown');
        const workflows = compileWorkflows(path.node, {
          file,
          source: state.file.code,
          ...(state.opts.importSource ? { importSource: state.opts.importSource } : {}),
        });
        if (workflows.length && state.opts.rescanScope !== false) path.scope.crawl();
        (state.file.metadata as unknown as { reawait: ReawaitFileMetadata }).reawait = { workflows };
      } },
    },
  };
}
