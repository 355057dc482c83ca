-- commit the end of the step that started at rev.
-- ARGV 5 rev, 6 status (completed|failed|cancelled), 7 payload, 8 cancelDelivered '1'|'0',
--      9 outbox ('' = none), 10 lone op ('' = none), 11 number of ops the step started,
--      then consumed (n, op...), dropped (n, op...), detached (n, op...), then retention (ms; '0' = keep forever),
--      then the jobs it queues (lib.lua queue_jobs; n = 0 when none)
-- KEYS 11 the ended index (zset: id -> completedAt), what prune walks; 12.. the queue keys of queue_jobs
-- Detached ops (calls and children never awaited, some started by this very step) stay outstanding:
-- they keep running, and a late settlement of one is only recorded in the history.
-- A failure after a suspension keeps the last state, where it waited and the settlements the failing
-- step consumed, with their ops: retry.lua resumes from them.
local rev = redis.call('HGET', K_X, 'rev')
if rev ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 0 end
local keep = ARGV[6] == 'failed' and redis.call('HEXISTS', K_X, 'at') == 1 and redis.call('EXISTS', K_V) == 1
local newrev = tonumber(rev) + 1
local field = 'error'
if ARGV[6] == 'completed' then field = 'result' end
redis.call('HSET', K_X, 'rev', newrev, 'status', ARGV[6], field, ARGV[7], 'completedAt', NOW, 'updatedAt', NOW)
if keep then redis.call('HDEL', K_X, 'waits', 'problem') else redis.call('HDEL', K_X, 'at', 'atFn', 'atFile', 'waits', 'problem') end
if ARGV[8] == '1' then redis.call('HSET', K_X, 'cancelDelivered', '1') end
local i = 12 + tonumber(ARGV[12]) + 1
if not keep then remove_ops(12) end -- consumed
i = remove_ops(i) -- dropped
for k = 1, tonumber(ARGV[i]) do redis.call('HSETNX', K_X, 'o:' .. ARGV[i + k], '') end
local retention = tonumber(ARGV[i + tonumber(ARGV[i]) + 1]) or 0
queue_jobs(i + tonumber(ARGV[i]) + 2, 12)
if ARGV[11] ~= '0' then redis.call('HINCRBY', K_X, 'started', ARGV[11]) end
-- ops that settled while the last step ran are over
if keep then
  redis.call('DEL', K_W)
else
  for _, op in ipairs(redis.call('HKEYS', K_S)) do redis.call('HDEL', K_X, 'o:' .. op) end
  redis.call('DEL', K_S, K_V, K_W)
end
set_outbox(newrev, ARGV[9], ARGV[10])
redis.call('SREM', K_READY, ID)
if redis.call('HEXISTS', K_X, 'parent') == 1 then redis.call('SADD', K_NOTIFY, ID) end
history(EVENT)
-- Signals still buffered are for nobody now (their keys, same hash tag, are named in 'q:<key>' fields).
for _, f in ipairs(redis.call('HKEYS', K_X)) do
  if string.sub(f, 1, 2) == 'q:' then
    redis.call('DEL', string.sub(f, 3))
    redis.call('HDEL', K_X, f)
  end
end
redis.call('ZADD', KEYS[11], NOW, ID)
if retention > 0 then
  for _, k in ipairs({ K_X, K_H, K_B, K_S, K_V }) do redis.call('PEXPIRE', k, retention) end
end
return 1
