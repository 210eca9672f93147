--[[
  Applies a status event reported by this district's approval system to a case it handles, and
  queues the status envelope to the origin district — one step, so neither is ever lost alone.
  The case is put on the deadline watch (due now) in the same step: a status that starts or ends
  the clock must never be applied without the watcher looking at the case (a crash between two
  steps would have left it waiting for its next re-check, hours later).
  Events are de-duplicated by the approval system's event id; callbacks and polling may both
  report the same event.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard approval jobs (zset)
  KEYS[5] shard deadline watch (zset caseNo → when the watcher looks next; gateway/supervision/keys.ts)

  ARGV[1]  caseNo
  ARGV[2]  approval-system event id
  ARGV[3]  new state
  ARGV[4]  approval-system local number ('' if not known)
  ARGV[5]  when it happened (ISO 8601)
  ARGV[6]  note
  ARGV[7]  messageId for the status envelope
  ARGV[8]  envelope draft (JSON, without seq)
  ARGV[9]  now (ms)
  ARGV[10] now (ISO 8601)
  ARGV[11] case-events channel
  ARGV[12] from district (this gateway)
  ARGV[13] to district (the origin)
  ARGV[14] approval job to queue when the status applies ('' for none; e.g. fetch the result after a decision)

  Returns {'OK', seq} | {'DUP'} | {'SAME'} | {'IGNORED', currentState} | {'CASE_NOT_FOUND'}
]]
--- @include "events"
--- @include "transition"
local caseNo, eventId, nextState, localNo = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local msgId, nowIso, channel = ARGV[7], ARGV[10], ARGV[11]

if redis.call('HEXISTS', KEYS[1], 'state') == 0 then return {'CASE_NOT_FOUND'} end
if redis.call('HSETNX', KEYS[1], 'seen:' .. eventId, 1) == 0 then return {'DUP'} end

local current = redis.call('HGET', KEYS[1], 'state')
local knownLocalNo = redis.call('HGET', KEYS[1], 'localNo') or ''
local t = transitionOf(current, nextState)
if t == 'same' and (localNo == '' or localNo == knownLocalNo) then return {'SAME'} end
if t == 'ignore' then
  appendEvent(KEYS[2], channel, caseNo, { kind = 'status_ignored', state = current, at = ARGV[5], note = nextState })
  return {'IGNORED', current}
end
if localNo ~= '' then
  redis.call('HSET', KEYS[1], 'localNo', localNo)
else
  localNo = knownLocalNo
end
if t == 'apply' then
  redis.call('HSET', KEYS[1], 'state', nextState, 'updatedAt', nowIso)
end
local seq = redis.call('HINCRBY', KEYS[1], 'outSeq', 1)
local meta = cjson.encode({
  id = msgId, type = 'status', direction = 'out', from = ARGV[12], to = ARGV[13], seq = seq,
  delivery = 'queued', attempts = 0, createdAt = nowIso,
})
redis.call('HSET', KEYS[1], 'meta:' .. msgId, meta, 'draft:' .. msgId, ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[9], caseNo .. '|' .. msgId)
appendEvent(KEYS[2], channel, caseNo, { kind = 'status', state = nextState, at = ARGV[5], note = ARGV[6], messageId = msgId })
if t == 'apply' and ARGV[14] ~= '' then redis.call('ZADD', KEYS[4], ARGV[9], ARGV[14]) end
-- LT: sooner than a look already planned, never later.
redis.call('ZADD', KEYS[5], 'LT', ARGV[9], caseNo)
return {'OK', seq}
