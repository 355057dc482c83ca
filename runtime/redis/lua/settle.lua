-- record the outcome of outstanding op `op`. ARGV 5 op, 6 ok '1'|'0', 7 payload,
-- 8 '1' = when this makes the execution ready, also return the record and the settlements
-- (flat HGETALL arrays) and the state for the resume that follows: { outcome, record, settlements, state }
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
local fire = settle_op(ARGV[5], ARGV[6], ARGV[7], token)
history(EVENT)
if fire and status == 'waiting' then
  mark_ready()
  if ARGV[8] == '1' then
    return { 'ready', redis.call('HGETALL', K_X), redis.call('HGETALL', K_S), redis.call('GET', K_V) }
  end
  return 'ready'
end
return 'recorded'
