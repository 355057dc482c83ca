-- commit a suspension of the step that started at rev.
-- ARGV 5 rev, 6 state, 7 version, 8 at ('line:column:pc:depth'), 9 mode, 10 total, 11 dispatch '1'|'0',
--      12 cancelDelivered '1'|'0', 13 number of pre-settled slots, then (slot, ok, payload)...,
--      then number of signal slots, then (slot, name)..., then at's fn, at's file;
--      KEYS 9.. buffer list of each signal slot
local rev = redis.call('HGET', K_X, 'rev')
if rev ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 'stale' end
local newrev = tonumber(rev) + 1
redis.call('DEL', K_S)
redis.call('SET', K_V, ARGV[6])
redis.call('HSET', K_X, 'rev', newrev, 'status', 'waiting', 'version', ARGV[7], 'at', ARGV[8], 'updatedAt', NOW)
-- a group's defaults are left out (lib.lua reads them back): mode single, total 1, no settlement yet
redis.call('HDEL', K_X, 'problem', 'waits', 'mode', 'total', 'fulfilled', 'rejected')
if ARGV[9] ~= 'single' then redis.call('HSET', K_X, 'mode', ARGV[9]) end
if ARGV[10] ~= '1' then redis.call('HSET', K_X, 'total', ARGV[10]) end
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
local waits = {}
for s = 1, nsignals do
  local slot, name = ARGV[i + 1], ARGV[i + 2]
  i = i + 2
  waits[name] = waits[name] and (waits[name] .. ',' .. slot) or slot
  if result ~= 'ready' then
    local payload = redis.call('LPOP', KEYS[8 + s])
    if payload then
      history('{"t":' .. NOW .. ',"type":"signal","name":' .. cjson.encode(name) .. ',"buffered":true}')
      if settle_slot(slot, '1', payload) == 'ready' then result = 'ready' end
    end
  end
end
-- signal name -> its slots, as one small field of the record (a key of its own would cost more)
if nsignals > 0 then redis.call('HSET', K_X, 'waits', cjson.encode(waits)) end
redis.call('HSET', K_X, 'atFn', ARGV[i + 1], 'atFile', ARGV[i + 2])
if result ~= 'ready' and redis.call('HEXISTS', K_X, 'cancel') == 1 and redis.call('HGET', K_X, 'cancelDelivered') ~= '1' then
  mark_ready()
  result = 'ready'
end
return result
