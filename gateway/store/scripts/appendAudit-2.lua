--[[
  Appends linked entries to the audit chain, if the chain still ends where the caller linked them.
  The caller hashed the entries onto (count, head) it last saw; if another replica appended since,
  nothing is written and the current end comes back, so the caller re-links and tries again. That
  keeps one chain per gateway however many processes write to it.

  KEYS[1] log (list of entry JSON)
  KEYS[2] head (hash: count, hash, archived, archivedHash)

  ARGV[1] count the entries were linked onto
  ARGV[2] head hash they were linked onto
  ARGV[3] hash of the last new entry
  ARGV[4..] the entries, in order

  Returns {1, newCount, length of the log} when written, {0, count, head} when the chain moved on.
]]
local GENESIS = string.rep('0', 64)
local count = tonumber(redis.call('HGET', KEYS[2], 'count') or '0')
local head = redis.call('HGET', KEYS[2], 'hash') or GENESIS
if count ~= tonumber(ARGV[1]) or head ~= ARGV[2] then
  return {0, count, head}
end
local n = #ARGV - 3
local length = 0
-- RPUSH in slices: unpack() of a very long argument list can overflow Lua's stack.
for i = 4, #ARGV, 500 do
  length = redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('HSET', KEYS[2], 'count', count + n, 'hash', ARGV[3])
return {1, count + n, length}
