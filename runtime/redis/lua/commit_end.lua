-- commit the end of the step that started at rev.
-- ARGV 5 rev, 6 status (completed|failed|cancelled), 7 payload, 8 cancelDelivered '1'|'0'
local rev = redis.call('HGET', K_X, 'rev')
if rev ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 0 end
local field = 'error'
if ARGV[6] == 'completed' then field = 'result' end
redis.call('HSET', K_X, 'rev', tonumber(rev) + 1, 'status', ARGV[6], field, ARGV[7], 'completedAt', NOW, 'updatedAt', NOW)
redis.call('HDEL', K_X, 'at', 'atFn', 'atFile', 'waits', 'mode', 'total', 'fulfilled', 'rejected', 'problem', 'dispatch')
if ARGV[8] == '1' then redis.call('HSET', K_X, 'cancelDelivered', '1') end
redis.call('DEL', K_S, K_V)
redis.call('SREM', K_READY, ID)
redis.call('SREM', K_DISPATCH, ID)
if redis.call('HEXISTS', K_X, 'parent') == 1 then redis.call('SADD', K_NOTIFY, ID) end
history(EVENT)
return 1
