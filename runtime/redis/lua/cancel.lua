-- request a cancel. ARGV 5 reason (encoded)
local status = redis.call('HGET', K_X, 'status')
if not status then return 'missing' end
if is_terminal(status) or redis.call('HEXISTS', K_X, 'cancel') == 1 then return 'noop' end
redis.call('HSET', K_X, 'cancel', ARGV[5], 'updatedAt', NOW)
history(EVENT)
if status == 'waiting' then
  mark_ready()
  return 'ready'
end
return 'requested'
