-- Shared prelude of every reawait script (prepended at load time).
-- KEYS: 1 record hash, 2 settlements hash (op -> seq:ok:payload, recorded and not yet consumed),
--       3 value string (the args before the first step, then the state), 4 history list,
--       5 all (list of ids), 6 ready (set), 7 dispatch (set), 8 notify (set),
--       9 outbox string (jobs of the last commit not yet all pushed), 10 multi-op watches hash (key -> 'mode n f r'),
--       11.. per script
-- ARGV: 1 now (ms), 2 history cap, 3 events (one JSON per line; '' = none), 4 execution id, 5.. per script
-- Record fields: 'o:<op>' per outstanding op, its watch token: '' (nobody waits), '*' (its settlement
-- makes the execution ready), or a comma list of multi-op watch keys (see runtime/watches.ts).
local K_X, K_S, K_V, K_H = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_ALL, K_READY, K_DISPATCH, K_NOTIFY = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local K_B, K_W = KEYS[9], KEYS[10]
local NOW, CAP, EVENT, ID = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]

-- ev: one event JSON per line ('' = none)
-- What a retry reads (engine/redispatch.ts), the cap never trims: a final 'call failed' event (it carries
-- the job dispatched again) and a 'child failed' event (it names the child retried).
local function keeps(e)
  return (string.find(e, '"type":"call failed"', 1, true) ~= nil and string.find(e, '"job":{', 1, true) ~= nil) or string.find(e, '"type":"child failed"', 1, true) ~= nil
end

local function history(ev)
  if ev ~= nil and ev ~= '' then
    for line in string.gmatch(ev, '[^\n]+') do redis.call('RPUSH', K_H, line) end
    local over = redis.call('LLEN', K_H) - CAP
    if over > 0 then
      local gone = redis.call('LRANGE', K_H, 0, over - 1)
      redis.call('LTRIM', K_H, -CAP, -1)
      for i = #gone, 1, -1 do
        if keeps(gone[i]) then redis.call('LPUSH', K_H, gone[i]) end
      end
    end
  end
end

local function is_terminal(status)
  return status == 'completed' or status == 'failed' or status == 'cancelled'
end

-- The ready rules of runtime/ready-rules.ts readyRule(), over counts.
local function group_ready(mode, n, f, r)
  if mode == 'single' or mode == 'race' then return f + r >= 1 end
  if mode == 'all' then return r >= 1 or f == n end
  if mode == 'allSettled' then return f + r == n end
  if mode == 'any' then return f >= 1 or r == n end
  return false
end

-- A multi-op watch 'mode n f r' -> its fields.
local function watch_of(def)
  local mode, n, f, r = string.match(def, '^(%S+) (%d+) (%d+) (%d+)$')
  return mode, tonumber(n), tonumber(f), tonumber(r)
end

local function mark_ready()
  redis.call('HSET', K_X, 'status', 'ready', 'updatedAt', NOW)
  redis.call('SADD', K_READY, ID)
end

-- Record the settlement of outstanding op `op` (whose token is `token`): O(watches of the op).
-- Returns whether it fires a watch.
local function settle_op(op, ok, payload, token)
  local seq = redis.call('HINCRBY', K_X, 'settled', 1)
  redis.call('HSET', K_S, op, (seq - 1) .. ':' .. ok .. ':' .. payload)
  if token == '*' then return true end
  local fire = false
  for key in string.gmatch(token, '[^,]+') do
    local def = redis.call('HGET', K_W, key)
    if def then
      local mode, n, f, r = watch_of(def)
      if ok == '1' then f = f + 1 else r = r + 1 end
      redis.call('HSET', K_W, key, mode .. ' ' .. n .. ' ' .. f .. ' ' .. r)
      if group_ready(mode, n, f, r) then fire = true end
    end
  end
  return fire
end

-- Whether what is recorded already fires a watch (settlements a commit did not consume).
local function fires_now()
  for _, op in ipairs(redis.call('HKEYS', K_S)) do
    if redis.call('HGET', K_X, 'o:' .. op) == '*' then return true end
  end
  local w = redis.call('HGETALL', K_W)
  for j = 1, #w, 2 do
    local mode, n, f, r = watch_of(w[j + 1])
    if group_ready(mode, n, f, r) then return true end
  end
  return false
end

-- The outbox of the commit that made `rev`: kept until pushed ('' = nothing to push).
local function set_outbox(rev, outbox, lone)
  if outbox ~= '' then
    redis.call('SET', K_B, outbox)
    redis.call('HSET', K_X, 'dispatch', rev)
    if lone ~= '' then redis.call('HSET', K_X, 'lone', lone) else redis.call('HDEL', K_X, 'lone') end
    redis.call('SADD', K_DISPATCH, ID)
  else
    redis.call('DEL', K_B)
    redis.call('HDEL', K_X, 'dispatch', 'lone')
    redis.call('SREM', K_DISPATCH, ID)
  end
end

local function clear_outbox()
  redis.call('DEL', K_B)
  redis.call('HDEL', K_X, 'dispatch', 'lone')
  redis.call('SREM', K_DISPATCH, ID)
end

-- Queue the jobs a commit carries (RedisStore `jobs`, beequeue-queue.ts forCommit) as bee-queue's addJob.lua and
-- addDelayedJob.lua would, so that they exist exactly when the commit does. ARGV from i: n, the timers queue's
-- earlierDelayed channel, then n times: queue 'a' (activities) | 't' (timers), job id, job JSON, due ms ('0' = now).
-- KEYS from k: activities jobs, activities waiting, timers jobs, timers waiting, timers delayed.
local function queue_jobs(i, k)
  local n = tonumber(ARGV[i] or '0') or 0
  for j = i + 2, i + 1 + 4 * n, 4 do
    local jobs, waiting = KEYS[k], KEYS[k + 1]
    if ARGV[j] == 't' then jobs, waiting = KEYS[k + 2], KEYS[k + 3] end
    local id, due = ARGV[j + 1], tonumber(ARGV[j + 3])
    if redis.call('HEXISTS', jobs, id) == 0 then
      redis.call('HSET', jobs, id, ARGV[j + 2])
      if due > 0 then
        redis.call('ZADD', KEYS[k + 4], due, id)
        -- a new head: the workers re-arm their timers (addDelayedJob.lua)
        if redis.call('ZRANGE', KEYS[k + 4], 0, 0)[1] == id then redis.call('PUBLISH', ARGV[i + 1], due) end
      else
        redis.call('LPUSH', waiting, id)
      end
    end
  end
end

-- Remove outstanding ops listed in ARGV from position i: n, op... Returns the next position.
local function remove_ops(i)
  local n = tonumber(ARGV[i])
  for k = 1, n do
    local op = ARGV[i + k]
    redis.call('HDEL', K_X, 'o:' .. op)
    redis.call('HDEL', K_S, op)
  end
  return i + n + 1
end
