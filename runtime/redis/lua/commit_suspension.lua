-- commit a suspension of the step that started at rev.
-- ARGV 5 rev, 6 state, 7 version, 8 at ('line:column:pc:depth'), 9 at's fn, 10 at's file,
--      11 cancelDelivered '1'|'0', 12 outbox ('' = none), 13 lone op ('' = none), then the lists:
--      started (n, then op, signal name or '' ...), consumed (n, op...), dropped (n, op...),
--      tokens (n, then op, token ...), watches set (n, then key, 'mode n f r', m, member op ... ...),
--      watches unset (n, key...), then the jobs it queues (lib.lua queue_jobs; n = 0 when none)
-- KEYS 11.. the buffer list of each started signal op, in the order they are listed, then the queue keys of
--      queue_jobs when it queues jobs
local rev = redis.call('HGET', K_X, 'rev')
if rev ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 'stale' end
local newrev = tonumber(rev) + 1
redis.call('SET', K_V, ARGV[6])
redis.call('HSET', K_X, 'rev', newrev, 'status', 'waiting', 'version', ARGV[7], 'at', ARGV[8],
  'atFn', ARGV[9], 'atFile', ARGV[10], 'updatedAt', NOW)
redis.call('HDEL', K_X, 'problem', 'tries')
if ARGV[11] == '1' then redis.call('HSET', K_X, 'cancelDelivered', '1') end
redis.call('SREM', K_READY, ID)
set_outbox(newrev, ARGV[12], ARGV[13])

local i = 14
local n = tonumber(ARGV[i])
local signals = {}
for k = 1, n do
  local op, name = ARGV[i + 2 * k - 1], ARGV[i + 2 * k]
  redis.call('HSET', K_X, 'o:' .. op, '')
  if name ~= '' then signals[#signals + 1] = { op, name } end
end
if n > 0 then redis.call('HINCRBY', K_X, 'started', n) end
i = i + 2 * n + 1
i = remove_ops(i) -- consumed
i = remove_ops(i) -- dropped
n = tonumber(ARGV[i])
for k = 1, n do
  local field = 'o:' .. ARGV[i + 2 * k - 1]
  if redis.call('HEXISTS', K_X, field) == 1 then redis.call('HSET', K_X, field, ARGV[i + 2 * k]) end
end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
i = i + 1
for _ = 1, n do
  local key, def, m = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local mode, total, f, r = watch_of(def)
  -- settlements recorded while the step ran, and not consumed by it, count too
  for k = 1, m do
    local s = redis.call('HGET', K_S, ARGV[i + 2 + k])
    if s then
      if string.match(s, '^%d+:1:') then f = f + 1 else r = r + 1 end
    end
  end
  redis.call('HSET', K_W, key, mode .. ' ' .. total .. ' ' .. f .. ' ' .. r)
  i = i + 3 + m
end
n = tonumber(ARGV[i])
for k = 1, n do redis.call('HDEL', K_W, ARGV[i + k]) end
local jobs_at = i + n + 1

-- signal name -> its waiting ops (outstanding ones only), one small field of the record
local waits = redis.call('HGET', K_X, 'waits')
local byname = waits and cjson.decode(waits) or {}
local kept, any = {}, false
for name, ops in pairs(byname) do
  local list = {}
  for op in string.gmatch(ops, '%d+') do
    if redis.call('HEXISTS', K_X, 'o:' .. op) == 1 then list[#list + 1] = op end
  end
  if #list > 0 then kept[name] = table.concat(list, ','); any = true end
end
for _, s in ipairs(signals) do
  kept[s[2]] = kept[s[2]] and (kept[s[2]] .. ',' .. s[1]) or s[1]
  any = true
end
if any then redis.call('HSET', K_X, 'waits', cjson.encode(kept)) else redis.call('HDEL', K_X, 'waits') end

queue_jobs(jobs_at, 11 + #signals)
history(EVENT)
-- a signal sent before anyone waited for it settles the oldest new wait of its name
for k, s in ipairs(signals) do
  local payload = redis.call('LPOP', KEYS[10 + k])
  if payload then
    history('{"t":' .. NOW .. ',"type":"signal","name":' .. cjson.encode(s[2]) .. ',"buffered":true}')
    settle_op(s[1], '1', payload, redis.call('HGET', K_X, 'o:' .. s[1]))
  end
end
if fires_now() or (redis.call('HEXISTS', K_X, 'cancel') == 1 and redis.call('HGET', K_X, 'cancelDelivered') ~= '1') then
  mark_ready()
  return 'ready'
end
return 'waiting'
