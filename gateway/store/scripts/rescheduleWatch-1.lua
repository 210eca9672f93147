--[[
  Sets when the deadline watcher next looks at a case it claimed (claimDue), or stops watching it —
  unless the member was touched after the claim: watchCase (the case's events changed) or another
  replica's claim after the lease ran out. Then its score is left alone, so a change that came in
  while the case was being looked at is never overwritten by a later check time.

  KEYS[1] shard watch set (zset caseNo → next check ms)

  ARGV[1] caseNo
  ARGV[2] the score the claim set (claim time + lease, ms)
  ARGV[3] next check (ms), or '' to stop watching the case

  Returns 1 when applied, 0 when the member was touched meanwhile (or is gone).
]]
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
else
  redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
end
return 1
