-- prune one ended execution: delete its record, value, settlements, history, outbox and watches,
-- and take it off the ended index. KEYS 11 the ended index (zset id -> completedAt).
-- ARGV 5 before (ms): only an execution that ended before it goes. One that ended but whose
-- parents are not yet notified, or whose last outbox is not all pushed, stays (the sweep needs it).
-- Returns 1 if the execution is gone (also when retention had already expired its keys), else 0.
local status = redis.call('HGET', K_X, 'status')
if status then
  if not is_terminal(status) then return 0 end
  if tonumber(redis.call('HGET', K_X, 'completedAt') or '0') >= tonumber(ARGV[5]) then return 0 end
  if redis.call('SISMEMBER', K_NOTIFY, ID) == 1 or redis.call('SISMEMBER', K_DISPATCH, ID) == 1 then return 0 end
  for _, f in ipairs(redis.call('HKEYS', K_X)) do
    if string.sub(f, 1, 2) == 'q:' then redis.call('DEL', string.sub(f, 3)) end
  end
end
redis.call('DEL', K_X, K_S, K_V, K_H, K_B, K_W)
redis.call('ZREM', KEYS[11], ID)
redis.call('SREM', K_READY, ID)
return 1
