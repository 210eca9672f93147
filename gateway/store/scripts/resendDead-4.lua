--[[
  Puts a dead-lettered envelope back on the outbox with a fresh attempt budget (a staff action).

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard dead letters (zset)

  ARGV[1] caseNo
  ARGV[2] messageId
  ARGV[3] outbox member
  ARGV[4] now (ms)
  ARGV[5] now (ISO 8601)
  ARGV[6] case-events channel

  Returns 1 when requeued, 0 when the envelope is not dead-lettered.
]]
--- @include "events"
local caseNo, msgId, member = ARGV[1], ARGV[2], ARGV[3]
if not redis.call('ZSCORE', KEYS[4], member) then return 0 end
local meta = cjson.decode(redis.call('HGET', KEYS[1], 'meta:' .. msgId))
if meta.delivery ~= 'dead_lettered' then
  redis.call('ZREM', KEYS[4], member)
  return 0
end
meta.delivery = 'queued'
meta.attempts = 0
redis.call('HSET', KEYS[1], 'meta:' .. msgId, cjson.encode(meta))
redis.call('ZREM', KEYS[4], member)
redis.call('ZADD', KEYS[3], ARGV[4], member)
appendEvent(KEYS[2], ARGV[6], caseNo, {
  kind = 'resent', state = redis.call('HGET', KEYS[1], 'state'), at = ARGV[5], messageId = msgId,
})
return 1
