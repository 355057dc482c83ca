-- the outbox of the commit that made rev is pushed. ARGV 5 rev
if redis.call('HGET', K_X, 'dispatch') == ARGV[5] then clear_outbox() end
return 1
