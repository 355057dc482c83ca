// tsc emits only .js/.d.ts; the Redis store loads its Lua scripts from a folder next to it.
import { cpSync } from 'node:fs';
cpSync('runtime/redis/lua', 'dist/runtime/redis/lua', { recursive: true });
