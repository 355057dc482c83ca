-- a worker is about to run the step at rev: count the try (commit_suspension.lua starts the count again).
-- ARGV 5 rev. Returns the try's number (1 the first), or 0 when the execution is not ready at rev.
if redis.call('HGET', K_X, 'rev') ~= ARGV[5] or redis.call('HGET', K_X, 'status') ~= 'ready' then return 0 end
return redis.call('HINCRBY', K_X, 'tries', 1)
