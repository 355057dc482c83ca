-- deliver a signal. ARGV 5 name, 6 payload, 7 event when buffered; KEYS 11 buffer list of that name
local status = redis.call('HGET', K_X, 'status')
if not status then return 'missing' end
if is_terminal(status) then return 'ended' end
local waits = redis.call('HGET', K_X, 'waits')
local ops = waits and cjson.decode(waits)[ARGV[5]]
if ops then
  -- the oldest outstanding, unsettled wait for this name takes it
  for op in string.gmatch(ops, '%d+') do
    local token = redis.call('HGET', K_X, 'o:' .. op)
    if token and redis.call('HEXISTS', K_S, op) == 0 then
      history(EVENT)
      if settle_op(op, '1', ARGV[6], token) and status == 'waiting' then
        mark_ready()
        return 'ready'
      end
      return 'delivered'
    end
  end
end
redis.call('RPUSH', KEYS[11], ARGV[6])
redis.call('HSET', K_X, 'q:' .. KEYS[11], '1') -- so that the end of the execution deletes the buffer
history(ARGV[7])
return 'buffered'
