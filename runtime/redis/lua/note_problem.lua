-- note why the step at rev could not run. ARGV 5 rev, 6 problem
if redis.call('HGET', K_X, 'rev') ~= ARGV[5] or is_terminal(redis.call('HGET', K_X, 'status') or 'completed') then return 0 end
if redis.call('HGET', K_X, 'problem') ~= ARGV[6] then
  redis.call('HSET', K_X, 'problem', ARGV[6], 'updatedAt', NOW)
  history(EVENT)
end
return 1
