--[[
  Records a failed webhook delivery of a card notification and schedules the next attempt. Cards
  are retried until delivered (no dead letters): the back-off is capped by the caller. Does nothing
  when the notification is no longer queued (another replica delivered it meanwhile).

  KEYS[1] shard notification queue (zset notificationId → due ms)
  KEYS[2] shard notifications (hash notificationId → JSON)

  ARGV[1] notificationId
  ARGV[2] error (HTTP_500, TIMEOUT, NETWORK…)
  ARGV[3] next attempt due (ms)
  ARGV[4] now (ISO 8601)

  Returns the number of failed attempts so far, or 0 when the notification is no longer queued.
]]
local id = ARGV[1]
local json = redis.call('HGET', KEYS[2], id)
if not redis.call('ZSCORE', KEYS[1], id) or not json then
  redis.call('ZREM', KEYS[1], id)
  return 0
end
local n = cjson.decode(json)
n.attempts = (n.attempts or 0) + 1
n.lastError = ARGV[2]
n.lastAttemptAt = ARGV[4]
redis.call('HSET', KEYS[2], id, cjson.encode(n))
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], id)
return n.attempts
