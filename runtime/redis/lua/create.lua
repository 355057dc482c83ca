-- create: ARGV 5 workflow, 6 version, 7 args, 8 parent link JSON ('' = none)
-- 'parent' holds the JSON array of links; an existing child that has not ended gains the new one.
if redis.call('EXISTS', K_X) == 1 then
  if ARGV[8] ~= '' and not is_terminal(redis.call('HGET', K_X, 'status')) then
    local links = cjson.decode(redis.call('HGET', K_X, 'parent') or '[]')
    local link = cjson.decode(ARGV[8])
    local known = false
    for _, l in ipairs(links) do if l.id == link.id and l.op == link.op then known = true end end
    if not known then
      links[#links + 1] = link
      redis.call('HSET', K_X, 'parent', cjson.encode(links))
    end
  end
  return 0
end
-- first: a wrong-type index fails the script before it has written anything
redis.call('RPUSH', K_ALL, ID)
redis.call('HSET', K_X, 'workflow', ARGV[5], 'version', ARGV[6], 'status', 'ready', 'rev', 0,
  'createdAt', NOW, 'updatedAt', NOW)
redis.call('SET', K_V, ARGV[7])
if ARGV[8] ~= '' then redis.call('HSET', K_X, 'parent', '[' .. ARGV[8] .. ']') end
redis.call('SADD', K_READY, ID)
history(EVENT)
return 1
