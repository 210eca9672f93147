--[[
  Claims up to `limit` due members of a queue (outbox or submit jobs) by pushing their due time
  forward by a lease. A worker that dies mid-delivery loses nothing: its claims fall due again
  when the lease runs out. Several replicas can claim from one queue without taking the same member.

  KEYS[1] queue (zset member → due time in ms)

  ARGV[1] now (ms)
  ARGV[2] lease (ms)
  ARGV[3] limit

  Returns the claimed members, most overdue first.
]]
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]))
local leaseUntil = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', leaseUntil, member)
end
return due
