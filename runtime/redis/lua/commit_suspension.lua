-- commit a suspension of the step that started at rev.
-- ARGV 5 rev, 6 state, 7 version, 8 at JSON, 9 mode, 10 total, 11 dispatch '1'|'0',
--      12 cancelDelivered '1'|'0', 13 number of pre-settled slots, then (slot, ok, payload)...,
--      then number of signal slots, then (slot, name)...; KEYS 9.. buffer list of each signal slot
local rev = redis.call('HGET', K_X, 'rev')
if rev ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 'stale' end
local newrev = tonumber(rev) + 1
redis.call('DEL', K_S, K_W)
redis.call('HSET', K_X, 'rev', newrev, 'status', 'waiting', 'state', ARGV[6], 'version', ARGV[7],
  'at', ARGV[8], 'mode', ARGV[9], 'total', ARGV[10], 'fulfilled', 0, 'rejected', 0, 'updatedAt', NOW)
redis.call('HDEL', K_X, 'args', 'problem')
if ARGV[12] == '1' then redis.call('HSET', K_X, 'cancelDelivered', '1') end
redis.call('SREM', K_READY, ID)
if ARGV[11] == '1' then
  redis.call('HSET', K_X, 'dispatch', newrev)
  redis.call('SADD', K_DISPATCH, ID)
else
  redis.call('HDEL', K_X, 'dispatch')
  redis.call('SREM', K_DISPATCH, ID)
end
history(EVENT)
local result = 'waiting'
local i = 13
local nsettled = tonumber(ARGV[i])
for _ = 1, nsettled do
  if settle_slot(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]) == 'ready' then result = 'ready' end
  i = i + 3
end
i = i + 1
local nsignals = tonumber(ARGV[i])
for s = 1, nsignals do
  local slot, name = ARGV[i + 1], ARGV[i + 2]
  i = i + 2
  local prev = redis.call('HGET', K_W, name)
  redis.call('HSET', K_W, name, prev and (prev .. ',' .. slot) or slot)
  if result ~= 'ready' then
    local payload = redis.call('LPOP', KEYS[8 + s])
    if payload then
      history('{"t":' .. NOW .. ',"type":"signal","name":' .. cjson.encode(name) .. ',"buffered":true}')
      if settle_slot(slot, '1', payload) == 'ready' then result = 'ready' end
    end
  end
end
if result ~= 'ready' and redis.call('HEXISTS', K_X, 'cancel') == 1 and redis.call('HGET', K_X, 'cancelDelivered') ~= '1' then
  mark_ready()
  result = 'ready'
end
return result
