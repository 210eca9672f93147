--[[
  Stores a verified incoming envelope with the receipt we signed for it, and applies it in
  per-case sequence order: an envelope that arrives early is held until the ones before it came.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] case archive (hash)
  KEYS[4] shard case index (zset)
  KEYS[5] shard submit jobs (zset)

  ARGV[1] caseNo
  ARGV[2] messageId
  ARGV[3] seq
  ARGV[4] envelope bytes (protobuf Signed, verbatim)
  ARGV[5] receipt bytes (protobuf Signed)
  ARGV[6] effect (JSON: what applying it does — application | status | event, see gateway/peer/inbound.ts)
  ARGV[7] crossing metadata (JSON)
  ARGV[8] now (ms)
  ARGV[9] now (ISO 8601)
  ARGV[10] case-events channel

  Returns
    {'DUP', receipt, envelope}   the message id was seen: the original receipt and envelope
    {'OUT_OF_SEQUENCE', inSeq}   a different message already used this sequence number
    {'CASE_NOT_FOUND'}           it would apply now, to a case this gateway does not hold
    {'CASE_EXISTS'}              an application for a case number this gateway already holds
    {'HELD', inSeq}              stored; waits for earlier sequence numbers
    {'APPLIED', count}           stored and applied, with `count` envelopes in all (held ones included)
]]
--- @include "events"
--- @include "transition"
local caseNo, msgId, seq = ARGV[1], ARGV[2], tonumber(ARGV[3])
local nowMs, nowIso, channel = ARGV[8], ARGV[9], ARGV[10]

local seenReceipt = redis.call('HGET', KEYS[3], 'rcpt:' .. msgId)
if seenReceipt then
  return {'DUP', seenReceipt, redis.call('HGET', KEYS[3], 'env:' .. msgId)}
end
local inSeq = tonumber(redis.call('HGET', KEYS[1], 'inSeq') or '0')
if seq <= inSeq or redis.call('HEXISTS', KEYS[1], 'held:' .. seq) == 1 then
  return {'OUT_OF_SEQUENCE', inSeq}
end

-- Refuse before storing anything: an application must create its case, anything else needs one.
local exists = redis.call('HEXISTS', KEYS[1], 'state') == 1
local isApplication = cjson.decode(ARGV[6]).type == 'application'
if isApplication and exists then return {'CASE_EXISTS'} end
if not isApplication and not exists and seq == inSeq + 1 then return {'CASE_NOT_FOUND'} end

redis.call('HSET', KEYS[3], 'env:' .. msgId, ARGV[4], 'rcpt:' .. msgId, ARGV[5])
redis.call('HSET', KEYS[1], 'meta:' .. msgId, ARGV[7])

local function applyEffect(effectJson, id)
  local e = cjson.decode(effectJson)
  if e.type == 'application' then
    redis.call('HSET', KEYS[1],
      'caseNo', caseNo, 'matterId', e.matterId, 'origin', e.origin, 'handling', e.handling,
      'app', e.app, 'createdAt', e.createdAt, 'updatedAt', nowIso, 'state', 'forwarded', 'outSeq', 0)
    redis.call('ZADD', KEYS[4], e.createdAtMs, caseNo)
    redis.call('ZADD', KEYS[5], nowMs, caseNo)
    appendEvent(KEYS[2], channel, caseNo, { kind = 'received', state = 'forwarded', at = nowIso, messageId = id })
  elseif e.type == 'status' then
    local current = redis.call('HGET', KEYS[1], 'state') or ''
    if e.localNo ~= '' then redis.call('HSET', KEYS[1], 'localNo', e.localNo) end
    if transitionOf(current, e.state) == 'apply' then
      redis.call('HSET', KEYS[1], 'state', e.state, 'updatedAt', nowIso)
      appendEvent(KEYS[2], channel, caseNo, { kind = 'status', state = e.state, at = e.at, note = e.note, messageId = id })
    else
      appendEvent(KEYS[2], channel, caseNo, { kind = 'status_ignored', state = current, at = e.at, note = e.state, messageId = id })
    end
  elseif e.type == 'event' then
    redis.call('HSET', KEYS[1], 'seen:' .. e.eventId, 1, 'updatedAt', nowIso)
    appendEventJson(KEYS[2], channel, caseNo, e.event, redis.call('HGET', KEYS[1], 'state') or '', id)
    -- Work the event asks of this side (filing supplements with the approval system…).
    if e.job ~= '' then redis.call('ZADD', KEYS[5], nowMs, e.job) end
  end
end

if seq > inSeq + 1 then
  redis.call('HSET', KEYS[1], 'held:' .. seq, msgId, 'effect:' .. msgId, ARGV[6])
  return {'HELD', inSeq}
end

applyEffect(ARGV[6], msgId)
local applied, nextSeq = 1, seq + 1
while true do
  local heldId = redis.call('HGET', KEYS[1], 'held:' .. nextSeq)
  if not heldId then break end
  applyEffect(redis.call('HGET', KEYS[1], 'effect:' .. heldId), heldId)
  redis.call('HDEL', KEYS[1], 'held:' .. nextSeq, 'effect:' .. heldId)
  applied, nextSeq = applied + 1, nextSeq + 1
end
redis.call('HSET', KEYS[1], 'inSeq', nextSeq - 1)
return {'APPLIED', applied}
