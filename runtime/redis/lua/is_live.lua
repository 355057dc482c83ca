-- is the command at rev/slot still wanted? ARGV 5 rev, 6 slot
if redis.call('HGET', K_X, 'rev') ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'waiting' then return 0 end
if redis.call('HEXISTS', K_S, ARGV[6]) == 1 then return 0 end
-- A lone call being delivered was pushed: its outbox flag is done (the dispatcher skips clear_dispatch for it).
if (redis.call('HGET', K_X, 'total') or '1') == '1' and redis.call('HGET', K_X, 'dispatch') == ARGV[5] then
  redis.call('HDEL', K_X, 'dispatch')
  redis.call('SREM', K_DISPATCH, ID)
end
return 1
