/**
 * `reawait/compiler`: compile one module's source. Workflow functions become
 * state machines; everything else is only stripped of types (compile.ts).
 */
export { compile, type CompileOptions, type CompileResult } from './compile.js';
export { CompileError, formatCompileError, type CompileErrorItem } from './errors.js';
