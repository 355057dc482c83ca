-- create: ARGV 5 workflow, 6 version, 7 args, 8 parent JSON ('' = none)
if redis.call('EXISTS', K_X) == 1 then return 0 end
-- first: a wrong-type index fails the script before it has written anything
redis.call('RPUSH', K_ALL, ID)
redis.call('HSET', K_X, 'workflow', ARGV[5], 'version', ARGV[6], 'status', 'ready', 'rev', 0,
  'createdAt', NOW, 'updatedAt', NOW)
redis.call('SET', K_V, ARGV[7])
if ARGV[8] ~= '' then redis.call('HSET', K_X, 'parent', ARGV[8]) end
redis.call('SADD', K_READY, ID)
history(EVENT)
return 1
