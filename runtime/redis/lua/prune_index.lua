-- take pruned executions off the list of all ids (list() walks it). KEYS 1 the list of all ids
-- (creation order); ARGV 5.. the ids to remove (ARGV 1-4 are lib.lua's and unused here).
-- One pass over the list, rewritten in order: O(all ids), once per prune batch rather than an
-- O(all ids) LREM per id. Positions shift, so a list() paged across a prune may skip entries.
local gone = {}
for j = 5, #ARGV do gone[ARGV[j]] = true end
local all = redis.call('LRANGE', KEYS[1], 0, -1)
local keep = {}
for _, id in ipairs(all) do if not gone[id] then keep[#keep + 1] = id end end
if #keep == #all then return 0 end
redis.call('DEL', KEYS[1])
for j = 1, #keep, 5000 do redis.call('RPUSH', KEYS[1], unpack(keep, j, math.min(j + 4999, #keep))) end
return #all - #keep
