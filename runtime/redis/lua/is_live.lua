-- is op `op` still wanted (outstanding and unsettled)? ARGV 5 op
if redis.call('HEXISTS', K_X, 'o:' .. ARGV[5]) == 0 or redis.call('HEXISTS', K_S, ARGV[5]) == 1 then return 0 end
-- The lone call of an outbox being delivered was pushed: its outbox is done (the dispatcher skips clear_dispatch for it).
if redis.call('HGET', K_X, 'lone') == ARGV[5] then clear_outbox() end
return 1
