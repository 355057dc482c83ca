-- is the command at rev/slot still wanted? ARGV 5 rev, 6 slot
if redis.call('HGET', K_X, 'rev') ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'waiting' then return 0 end
if redis.call('HEXISTS', K_S, ARGV[6]) == 1 then return 0 end
return 1
