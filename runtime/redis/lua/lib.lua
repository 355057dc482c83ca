-- Shared prelude of every reawait script (prepended at load time).
-- KEYS: 1 record hash, 2 settlements hash, 3 value string (the args before the first step, then the state), 4 history list,
--       5 all (list of ids), 6 ready (set), 7 dispatch (set), 8 notify (set), 9.. per script
-- ARGV: 1 now (ms), 2 history cap, 3 events (one JSON per line; '' = none), 4 execution id, 5.. per script
local K_X, K_S, K_V, K_H = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_ALL, K_READY, K_DISPATCH, K_NOTIFY = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local NOW, CAP, EVENT, ID = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

-- ev: one event JSON per line ('' = none)
local function history(ev)
  if ev ~= nil and ev ~= '' then
    for line in string.gmatch(ev, '[^\n]+') do redis.call('RPUSH', K_H, line) end
    redis.call('LTRIM', K_H, -CAP, -1)
  end
end

local function is_terminal(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled'
end

-- The ready rules of runtime/group.ts readyRule(), over counts.
local function group_ready(mode, n, f, r)
  if mode == 'single' or mode == 'race' then return f + r >= 1 end
  if mode == 'all' then return r >= 1 or f == n end
  if mode == 'allSettled' then return f + r == n end
  if mode == 'any' then return f >= 1 or r == n end
  return false
end

local function mark_ready()
  redis.call('HSET', K_X, 'status', 'ready', 'updatedAt', NOW)
  redis.call('SADD', K_READY, ID)
  redis.call('HDEL', K_X, 'dispatch')
  redis.call('SREM', K_DISPATCH, ID)
end

-- Record one slot of the waiting group: O(1). 'ready' only for the settlement
-- that makes the group settled; later ones find status ~= 'waiting'.
local function settle_slot(slot, ok, payload)
  if redis.call('HEXISTS', K_S, slot) == 1 then return 'duplicate' end
  local f = tonumber(redis.call('HGET', K_X, 'fulfilled') or '0')
  local r = tonumber(redis.call('HGET', K_X, 'rejected') or '0')
  redis.call('HSET', K_S, slot, (f + r) .. ':' .. ok .. ':' .. payload)
  if ok == '1' then
    f = f + 1
    redis.call('HSET', K_X, 'fulfilled', f)
  else
    r = r + 1
    redis.call('HSET', K_X, 'rejected', r)
  end
  local mode = redis.call('HGET', K_X, 'mode') or 'single'
  local n = tonumber(redis.call('HGET', K_X, 'total') or '1')
  if group_ready(mode, n, f, r) then
    mark_ready()
    return 'ready'
  end
  return 'recorded'
end
