--[[
  Records a shared case event that happened here and queues the `event` envelope that carries it
  to the other district, in one step. De-duplicated by the event's own id. Work that follows from
  the event here (following a dispatched parcel at the carrier) is queued in the same step, so a
  crash cannot keep the event and lose the work.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard follow-up queue (zset), used when ARGV[11] is not ''

  ARGV[1]  caseNo
  ARGV[2]  event id
  ARGV[3]  event (JSON object: kind, at, note, data)
  ARGV[4]  messageId of the envelope
  ARGV[5]  envelope draft (JSON, without seq)
  ARGV[6]  now (ms)
  ARGV[7]  now (ISO 8601)
  ARGV[8]  case-events channel
  ARGV[9]  from district (this gateway)
  ARGV[10] to district
  ARGV[11] follow-up member ('' for none)
  ARGV[12] follow-up due (ms)

  Returns {'OK', seq} | {'DUP'} | {'CASE_NOT_FOUND'}
]]
--- @include "sharedEvent"
local caseNo, eventId = ARGV[1], ARGV[2]

if redis.call('HEXISTS', KEYS[1], 'state') == 0 then return {'CASE_NOT_FOUND'} end
if redis.call('HSETNX', KEYS[1], 'seen:' .. eventId, 1) == 0 then return {'DUP'} end

if ARGV[11] ~= '' then redis.call('ZADD', KEYS[4], 'NX', ARGV[12], ARGV[11]) end
local seq = queueSharedEvent(KEYS[1], KEYS[2], KEYS[3], ARGV[8], caseNo, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[9], ARGV[10])
return {'OK', seq}
