/**
 * Every module the compiler emits loads: each fixture and example is
 * compiled and imported; and compile() itself refuses to emit code that
 * does not parse, naming the workflow (a compiler bug, never a runtime
 * surprise without a file or line).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { checkParses } from '../compiler/check-emitted.js';
import { ErrorSink } from '../compiler/errors.js';
import type { WorkflowSite } from '../compiler/find-workflows.js';
import { compileAndImport } from './support/compile-fixture.js';
import { ROOT } from './support/fixture-corpus.js';

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(m?ts)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  // (fixtures/fibers joins once async closures that await compile)
  walk('fixtures/programs');
  out.push('fixtures/activities.ts');
  walk('examples');
  return out.sort();
}

describe('emitted modules', () => {
  const files = sources();

  it('covers the fixtures and the examples', () => {
    expect(files.filter((f) => f.startsWith('fixtures/programs/')).length).toBeGreaterThan(80);
    expect(files.some((f) => f.startsWith('examples/'))).toBe(true);
  });

  it.each(files)('%s compiles to a module that imports', async (rel) => {
    vi.resetModules(); // a fresh workflow registry: an example and a fixture may share a workflow's name
    const { module } = await compileAndImport(readFileSync(path.join(ROOT, rel), 'utf8'), path.posix.join('emitted', rel));
    expect(typeof module).toBe('object');
  });

  it('reports code that does not parse as a compiler bug at the workflow', () => {
    const source = 'export async function wf() {\n  \'use workflow\';\n}\n';
    const errors = new ErrorSink('src/wf.ts', source);
    const site = { name: 'wf', fn: { type: 'FunctionDeclaration', loc: { start: { line: 1, column: 7 } } } } as unknown as WorkflowSite;
    checkParses('function wf$step($f, $r) { let $t0; delete $t0; }', site, errors);
    expect(errors.items).toHaveLength(1);
    expect(errors.items[0]).toMatchObject({ file: 'src/wf.ts', line: 1, column: 8 });
    expect(errors.items[0]!.message).toMatch(/^reawait compiler bug: the code compiled for workflow 'wf' does not parse \(Delete of an unqualified identifier in strict mode\.\)/);
    checkParses('function wf$step($f, $r) { return { done: true, value: 1 }; }', site, new ErrorSink('x', ''));
  });
});
