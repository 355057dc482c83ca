/** @babel/generator's function, one import for the compiler (meta's version hash, compile()'s output). */
import _generate, { type GeneratorOptions, type GeneratorResult } from '@babel/generator';
import type * as t from '@babel/types';

type Generate = (ast: t.Node, opts?: GeneratorOptions, code?: string) => GeneratorResult;
// @babel/generator is CommonJS: under ESM its function sits on `.default`.
export const generate: Generate = (_generate as unknown as { default?: Generate }).default ?? (_generate as unknown as Generate);
