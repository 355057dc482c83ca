/**
 * The store's Lua scripts as read from disk: an empty file (one a build was
 * rewriting when a worker read it) is refused with its path, never run as a
 * no-op (is_live returning nil would drop every call the worker takes).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readScript } from '../runtime/redis/scripts.js';

describe('reading a store script', () => {
  it('refuses an empty or blank file, naming it; reads a written one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-lua-'));
    writeFileSync(path.join(dir, 'is_live.lua'), '');
    expect(() => readScript(dir, 'is_live')).toThrow(`reawait: the Redis store's Lua script ${path.join(dir, 'is_live.lua')} is empty`);
    writeFileSync(path.join(dir, 'is_live.lua'), '\n  \n');
    expect(() => readScript(dir, 'is_live')).toThrow(/is empty/);
    writeFileSync(path.join(dir, 'is_live.lua'), 'return 1\n');
    expect(readScript(dir, 'is_live')).toBe('return 1\n');
  });
});
