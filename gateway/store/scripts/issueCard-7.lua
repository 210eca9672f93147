--[[
  Issues one 电子监察 card (pre-warning, yellow or red) for one deadline of a case this district
  handles, exactly once: the marker `card:<kind>:<deadline>` on the case record, the `card_issued`
  shared event with its envelope to the origin district, the console entry and the webhook
  notification are written together or not at all. A second call for the same card and deadline
  (a retry, a crash after the call, another replica) finds the marker and changes nothing.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard notification queue (zset notificationId → due ms)
  KEYS[5] shard notifications (hash notificationId → JSON)
  KEYS[6] shard card console list (zset cardId → 0, ordered BYLEX)
  KEYS[7] shard cards (hash cardId → JSON)

  ARGV[1]  caseNo
  ARGV[2]  marker field: card:<kind>:<deadline>
  ARGV[3]  cardId (also the notification id)
  ARGV[4]  shared event id
  ARGV[5]  shared event (JSON object: kind, at, note, data, eventId)
  ARGV[6]  messageId of the event envelope
  ARGV[7]  envelope draft (JSON, without seq)
  ARGV[8]  now (ms)
  ARGV[9]  now (ISO 8601)
  ARGV[10] case-events channel
  ARGV[11] from district (this gateway, the handling district)
  ARGV[12] to district (the origin)
  ARGV[13] card (JSON, for the console)
  ARGV[14] notification (JSON; '' when no webhook is configured)
  ARGV[15] how many cards the console keeps per shard (the oldest go first)

  Returns
    {'ISSUED', seq}         issued; seq of the event envelope (0 if the event was recorded before)
    {'DUP', cardId}         this card was already issued for this deadline (the earlier card's id)
    {'COMPLETED', state}    the case is decided: no card
    {'CASE_NOT_FOUND'}
]]
--- @include "events"
--- @include "sharedEvent"
local caseNo, marker, cardId, eventId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'CASE_NOT_FOUND'} end
if state == 'approved' or state == 'rejected' then return {'COMPLETED', state} end
local earlier = redis.call('HGET', KEYS[1], marker)
if earlier then return {'DUP', earlier} end
redis.call('HSET', KEYS[1], marker, cardId)

local seq = 0
if redis.call('HSETNX', KEYS[1], 'seen:' .. eventId, 1) == 1 then
  seq = queueSharedEvent(KEYS[1], KEYS[2], KEYS[3], ARGV[10], caseNo, ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[11], ARGV[12])
end

redis.call('ZADD', KEYS[6], 0, cardId)
redis.call('HSET', KEYS[7], cardId, ARGV[13])
local excess = redis.call('ZCARD', KEYS[6]) - tonumber(ARGV[15])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[6], 0, excess - 1)
  redis.call('HDEL', KEYS[7], unpack(oldest))
  redis.call('ZREMRANGEBYRANK', KEYS[6], 0, excess - 1)
end

if ARGV[14] ~= '' then
  redis.call('HSET', KEYS[5], cardId, ARGV[14])
  redis.call('ZADD', KEYS[4], ARGV[8], cardId)
end
return {'ISSUED', seq}
