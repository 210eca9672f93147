-- Queues an `event` envelope carrying a shared event and appends the event to the case's list: the
-- body of recordSharedEvent, for scripts that record a shared event as part of a larger step
-- (issueCard). The caller has checked that the case exists and de-duplicated the event.
-- Returns the envelope's sequence number.
--- @include "events"
local function queueSharedEvent(recordKey, eventsKey, outboxKey, channel, caseNo, eventJson, msgId, draftJson, nowMs, nowIso, from, to)
  local seq = redis.call('HINCRBY', recordKey, 'outSeq', 1)
  local meta = cjson.encode({
    id = msgId, type = 'event', direction = 'out', from = from, to = to, seq = seq,
    delivery = 'queued', attempts = 0, createdAt = nowIso,
  })
  redis.call('HSET', recordKey, 'meta:' .. msgId, meta, 'draft:' .. msgId, draftJson, 'updatedAt', nowIso)
  redis.call('ZADD', outboxKey, nowMs, caseNo .. '|' .. msgId)
  appendEventJson(eventsKey, channel, caseNo, eventJson, redis.call('HGET', recordKey, 'state'), msgId)
  return seq
end
