import { describe, expect, it } from 'vitest';
import { checkArgs, durationOption, parseArgs, UsageError, type OptionSpec } from '../runtime/cli/args.js';
import { Redis } from 'ioredis';
import { connect, parseRedisUrl, redisUrlFrom } from '../runtime/redis/connection.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'args', kind: 'value', help: '' },
  { name: 'id', kind: 'value', help: '' },
  { name: 'out', short: 'o', kind: 'value', help: '' },
  { name: 'workflows', kind: 'list', help: '' },
  { name: 'wait', kind: 'flag', help: '' },
];

describe('CLI argument parsing (node util.parseArgs under the command spec)', () => {
  it('takes positionals, values, lists and booleans', () => {
    const a = parseArgs(['start', 'wf', '--args', '[1]', '--wait', '--workflows', 'a.js', 'b.js', '--id=x', '-o', 'dist', '--workflows=c.js'], OPTIONS);
    expect(a.positionals).toEqual(['start', 'wf']);
    expect(a.values.get('args')).toBe('[1]');
    expect(a.values.get('id')).toBe('x');
    expect(a.values.get('out')).toBe('dist');
    expect(a.lists.get('workflows')).toEqual(['a.js', 'b.js', 'c.js']);
    expect(a.booleans.has('wait')).toBe(true);
    expect(a.argv[0]).toBe('start');
  });

  it('names the bad option, and the nearest declared one', () => {
    expect(() => parseArgs(['--nope'], OPTIONS)).toThrow(new UsageError('unknown option --nope'));
    expect(() => parseArgs(['--wiat'], OPTIONS)).toThrow(new UsageError('unknown option --wiat (did you mean --wait?)'));
    expect(() => parseArgs(['-x'], OPTIONS)).toThrow(new UsageError('unknown option -x'));
    expect(() => parseArgs(['--id'], OPTIONS)).toThrow(new UsageError('--id needs a value'));
    expect(() => parseArgs(['--id', '--wait'], OPTIONS)).toThrow(new UsageError("--id needs a value (to pass one that starts with '-', write --id=--wait)"));
    expect(() => parseArgs(['--wait=yes'], OPTIONS)).toThrow(new UsageError('--wait takes no value'));
    expect(() => parseArgs(['-o'], OPTIONS)).toThrow(new UsageError('-o (--out) needs a value'));
    expect(() => parseArgs(['--workflows'], OPTIONS)).toThrow(new UsageError('--workflows needs a value'));
  });

  it('after --, everything is a positional', () => {
    expect(parseArgs(['--', '--wait', '-x'], OPTIONS).positionals).toEqual(['--wait', '-x']);
  });

  it('checks required options and the number of positionals', () => {
    const positionals = [{ name: 'id', help: '' }, { name: 'name', help: '', optional: true }];
    const required: OptionSpec[] = [{ name: 'out', kind: 'value', required: true, help: '' }];
    expect(() => checkArgs(parseArgs([], required), positionals, required)).toThrow(new UsageError('missing <id>'));
    expect(() => checkArgs(parseArgs(['a', 'b', 'c', '--out', 'x'], required), positionals, required)).toThrow(new UsageError("unexpected argument 'c'"));
    expect(() => checkArgs(parseArgs(['a'], required), positionals, required)).toThrow(new UsageError('--out is required'));
    expect(() => checkArgs(parseArgs(['a', '--out', 'x'], required), positionals, required)).not.toThrow();
  });

  it('takes durations as the API does (a number is ms), and names a bad one', () => {
    expect(['5000', '5s', '2m', '1 hour', '1m30s'].map((t) => durationOption('grace', t))).toEqual([5000, 5000, 120_000, 3_600_000, 90_000]);
    expect(durationOption('grace', undefined)).toBeUndefined();
    expect(() => durationOption('grace', 'soon')).toThrow(new UsageError("--grace: invalid duration 'soon': cannot read 'soon'; expected e.g. 500 (ms), '500ms', '10s', '1 minute', '30 days', '2h30m'"));
    expect(() => durationOption('grace', '0')).toThrow(new UsageError("--grace must be longer than 0, got '0'"));
  });
});

describe('Redis URL', () => {
  it('parses host, port, db and password for bee-queue', () => {
    expect(parseRedisUrl('redis://:s%40cret@10.0.0.5:6390/3')).toEqual({ host: '10.0.0.5', port: 6390, db: 3, password: 's@cret' });
    expect(parseRedisUrl('redis://localhost')).toEqual({ host: 'localhost', port: 6379, db: 0 });
    expect(() => parseRedisUrl('http://x')).toThrow(/redis:\/\/ or rediss:\/\//);
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
