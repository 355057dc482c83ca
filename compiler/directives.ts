/** The two directives the compiler acts on, and the cheap test that a source has neither (no Babel needed for it). */
export const DIRECTIVE = 'use workflow';
export const STEP_DIRECTIVE = 'use step';

/** False when the source cannot hold a 'use workflow' or 'use step' function (a directive's value is its raw text), so that nothing needs compiling. */
export function mayHoldDirectives(source: string): boolean {
  return source.includes(DIRECTIVE) || source.includes(STEP_DIRECTIVE);
}
