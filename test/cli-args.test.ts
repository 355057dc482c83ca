import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../runtime/cli/args.js';
import { Redis } from 'ioredis';
import { connect, parseRedisUrl, redisUrlFrom } from '../runtime/redis/connection.js';

describe('CLI argument parsing', () => {
  it('takes positionals, values, lists and booleans', () => {
    const a = parseArgs(['start', 'wf', '--args', '[1]', '--wait', '--workflows', 'a.js', 'b.js', '--id=x'], {
      values: ['args', 'id'],
      lists: ['workflows'],
      booleans: ['wait'],
    });
    expect(a.positionals).toEqual(['start', 'wf']);
    expect(a.values.get('args')).toBe('[1]');
    expect(a.values.get('id')).toBe('x');
    expect(a.lists.get('workflows')).toEqual(['a.js', 'b.js']);
    expect(a.booleans.has('wait')).toBe(true);
  });

  it('names the bad option', () => {
    expect(() => parseArgs(['--nope'], {})).toThrow(new UsageError('unknown option --nope'));
    expect(() => parseArgs(['--id'], { values: ['id'] })).toThrow('--id needs a value');
  });
});

describe('Redis URL', () => {
  it('parses host, port, db and password for bee-queue', () => {
    expect(parseRedisUrl('redis://:s%40cret@10.0.0.5:6390/3')).toEqual({ host: '10.0.0.5', port: 6390, db: 3, password: 's@cret' });
    expect(parseRedisUrl('redis://localhost')).toEqual({ host: 'localhost', port: 6379, db: 0 });
    expect(() => parseRedisUrl('http://x')).toThrow(/only redis:\/\//);
  });

  it('defaults to --redis, then REDIS_URL, then localhost', () => {
    const saved = process.env.REDIS_URL;
    try {
      process.env.REDIS_URL = 'redis://env:1';
      expect(redisUrlFrom('redis://flag:2')).toBe('redis://flag:2');
      expect(redisUrlFrom(undefined)).toBe('redis://env:1');
      delete process.env.REDIS_URL;
      expect(redisUrlFrom(undefined)).toBe('redis://127.0.0.1:6379');
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it('derives bee-queue options from a given ioredis instance (bee-queue would ignore the instance itself)', () => {
    const r = new Redis({ host: '10.1.2.3', port: 7001, db: 4, password: 'pw', lazyConnect: true });
    const c = connect(r);
    expect(c.bee).toEqual({ host: '10.1.2.3', port: 7001, db: 4, password: 'pw' });
    expect(c.owned).toBe(false);
    expect(c.redis).toBe(r);
    r.disconnect();
  });
});
