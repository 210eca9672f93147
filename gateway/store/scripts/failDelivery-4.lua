--[[
  Records a failed delivery attempt: schedules the next one, or after the last allowed attempt
  moves the envelope to the dead-letter queue, where staff see it and can resend it.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard dead letters (zset)

  ARGV[1] caseNo
  ARGV[2] messageId
  ARGV[3] outbox member
  ARGV[4] error code
  ARGV[5] next attempt due (ms)
  ARGV[6] max attempts (0: no limit — used while the peer is unreachable)
  ARGV[7] now (ms)
  ARGV[8] now (ISO 8601)
  ARGV[9] case-events channel

  Returns {attempts, 1 if dead-lettered else 0}; {0, 0} if the envelope is unknown or already receipted.
]]
--- @include "events"
local caseNo, msgId, member = ARGV[1], ARGV[2], ARGV[3]
local metaJson = redis.call('HGET', KEYS[1], 'meta:' .. msgId)
if not metaJson then
  redis.call('ZREM', KEYS[3], member)
  return {0, 0}
end
local meta = cjson.decode(metaJson)
if meta.delivery == 'receipted' then
  redis.call('ZREM', KEYS[3], member)
  return {0, 0}
end
-- A late report from a replica whose lease ran out must not revive a dead letter.
if meta.delivery == 'dead_lettered' then return {meta.attempts, 1} end
meta.attempts = (meta.attempts or 0) + 1
meta.lastError = ARGV[4]
meta.lastAttemptAt = ARGV[8]
local maxAttempts = tonumber(ARGV[6])
if maxAttempts > 0 and meta.attempts >= maxAttempts then
  meta.delivery = 'dead_lettered'
  redis.call('HSET', KEYS[1], 'meta:' .. msgId, cjson.encode(meta))
  redis.call('ZREM', KEYS[3], member)
  redis.call('ZADD', KEYS[4], ARGV[7], member)
  appendEvent(KEYS[2], ARGV[9], caseNo, {
    kind = 'dead_lettered', state = redis.call('HGET', KEYS[1], 'state'), at = ARGV[8], note = ARGV[4], messageId = msgId,
  })
  return {meta.attempts, 1}
end
meta.delivery = 'retrying'
redis.call('HSET', KEYS[1], 'meta:' .. msgId, cjson.encode(meta))
redis.call('ZADD', KEYS[3], 'XX', ARGV[5], member)
return {meta.attempts, 0}
