-- deliver a signal. ARGV 5 name, 6 payload, 7 event when buffered; KEYS 9 buffer list of that name
local status = redis.call('HGET', K_X, 'status')
if not status then return 'missing' end
if is_terminal(status) then return 'ended' end
if status == 'waiting' then
  local waits = redis.call('HGET', K_X, 'waits')
  local slots = waits and cjson.decode(waits)[ARGV[5]]
  if slots then
    for slot in string.gmatch(slots, '%d+') do
      if redis.call('HEXISTS', K_S, slot) == 0 then
        history(EVENT)
        if settle_slot(slot, '1', ARGV[6]) == 'ready' then return 'ready' end
        return 'delivered'
      end
    end
  end
end
redis.call('RPUSH', KEYS[9], ARGV[6])
history(ARGV[7])
return 'buffered'
