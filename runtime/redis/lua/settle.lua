-- record the outcome of outstanding op `op`. ARGV 5 op, 6 ok '1'|'0', 7 payload,
-- 8 '1' = when this makes the execution ready, also return the record and the settlements
-- (flat HGETALL arrays) and the state for the resume that follows: { outcome, record, settlements, state, try },
-- 9 n, then n pairs 10.. workflow name, version (settleAndLoad's begin.runs, store.ts BeginStep): when the
-- record's workflow is one of them at the record's version, the caller will run the resume's code: its try
-- is counted here as begin_step.lua would (try is 0 otherwise)
local status = redis.call('HGET', K_X, 'status')
if not status then return 'stale' end
local field = 'o:' .. ARGV[5]
local token = redis.call('HGET', K_X, field)
if not token then return 'stale' end
if redis.call('HEXISTS', K_S, ARGV[5]) == 1 then return 'duplicate' end
if status == 'failed' and redis.call('HEXISTS', K_X, 'at') == 1 then
  -- a failed execution keeps its last state for a retry (commit_end.lua): a call still running beside the
  -- failure is recorded for the retry's resume, or the retried execution would wait for it forever
  settle_op(ARGV[5], ARGV[6], ARGV[7], '*')
  history(EVENT)
  return 'stale'
end
if is_terminal(status) then
  -- a detached op (started, never awaited) ended after its workflow did: history only
  redis.call('HDEL', K_X, field)
  history(EVENT)
  return 'stale'
end

-- Whether the caller runs workflow `wf` at `version` (ARGV 9..). This is the worker's willRun
-- (engine/worker-engine.ts) for an execution that was waiting: it has a state, so a cancel does not matter.
local function runs(wf, version)
  for i = 10, 9 + 2 * tonumber(ARGV[9] or '0'), 2 do
    if ARGV[i] == wf and ARGV[i + 1] == version then return true end
  end
  return false
end

local fire = settle_op(ARGV[5], ARGV[6], ARGV[7], token)
history(EVENT)
if fire and status == 'waiting' then
  mark_ready()
  if ARGV[8] == '1' then
    local wf = redis.call('HMGET', K_X, 'workflow', 'version')
    local try = 0
    if runs(wf[1], wf[2]) then try = redis.call('HINCRBY', K_X, 'tries', 1) end
    return { 'ready', redis.call('HGETALL', K_X), redis.call('HGETALL', K_S), redis.call('GET', K_V), try }
  end
  return 'ready'
end
return 'recorded'
