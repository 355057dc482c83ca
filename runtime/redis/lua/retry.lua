-- retry a failed execution from its last committed state (commit_end.lua keeps it, with the
-- settlements its failing step consumed): ready again at rev + 1, to run on the current code.
-- ARGV 5 n, 6..5+n ops whose kept settlements (rejected calls) are dropped: the caller dispatches them
-- again; the ops stay outstanding (token '*') and count as started once more. KEYS 11 the ended index (zset), which it leaves.
-- Returns the new rev, or 'missing' | 'not failed' | 'no state'.
local status = redis.call('HGET', K_X, 'status')
if not status then return 'missing' end
if status ~= 'failed' then return 'not failed' end
if redis.call('HEXISTS', K_X, 'at') == 0 or redis.call('EXISTS', K_V) == 0 then return 'no state' end
local newrev = tonumber(redis.call('HGET', K_X, 'rev')) + 1
redis.call('HSET', K_X, 'rev', newrev, 'status', 'ready', 'updatedAt', NOW)
redis.call('HDEL', K_X, 'error', 'completedAt')
local n = tonumber(ARGV[5]) or 0
-- commit_end dropped the watches: the new attempt's settlement fires the resume alone ('*')
for k = 1, n do
  redis.call('HDEL', K_S, ARGV[5 + k])
  redis.call('HSET', K_X, 'o:' .. ARGV[5 + k], '*')
end
if n > 0 then redis.call('HINCRBY', K_X, 'started', n) end
for _, k in ipairs({ K_X, K_H, K_B, K_S, K_V }) do redis.call('PERSIST', k) end
redis.call('ZREM', KEYS[11], ID)
redis.call('SADD', K_READY, ID)
history(EVENT)
return newrev
