-- the commands of the suspension at rev are pushed. ARGV 5 rev
if redis.call('HGET', K_X, 'dispatch') == ARGV[5] then
  redis.call('HDEL', K_X, 'dispatch')
  redis.call('SREM', K_DISPATCH, ID)
end
return 1
