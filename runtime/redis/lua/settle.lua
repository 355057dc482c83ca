-- settle one slot of the suspension at rev. ARGV 5 rev, 6 slot, 7 ok '1'|'0', 8 payload,
-- 9 '1' = when this makes the group settled, also return the record and the settlements
-- (flat HGETALL arrays) and the state for the resume that follows: { outcome, record, settlements, state }
if redis.call('HGET', K_X, 'rev') ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'waiting' then return 'stale' end
local outcome = settle_slot(ARGV[6], ARGV[7], ARGV[8])
if outcome ~= 'duplicate' then history(EVENT) end
if outcome == 'ready' and ARGV[9] == '1' then
  return { outcome, redis.call('HGETALL', K_X), redis.call('HGETALL', K_S), redis.call('GET', K_V) }
end
return outcome
