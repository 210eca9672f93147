--[[
  Creates a case taken in at this (origin) district and queues its application envelope, in one step.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] shard outbox (zset)
  KEYS[4] shard case index (zset)

  ARGV[1]  caseNo
  ARGV[2]  messageId of the application envelope
  ARGV[3]  created at (ms)
  ARGV[4]  created at (ISO 8601)
  ARGV[5]  matterId
  ARGV[6]  origin district
  ARGV[7]  handling district
  ARGV[8]  application (JSON)
  ARGV[9]  envelope draft (JSON, without seq)
  ARGV[10] crossing metadata (JSON, seq 1)
  ARGV[11] case-events channel

  Returns {1} when created, {0, createMsgId} when the case number is already taken (the caller
  compares createMsgId with its own to tell a retry from a collision).
]]
--- @include "events"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'createMsgId') or ''}
end
local caseNo, msgId = ARGV[1], ARGV[2]
redis.call('HSET', KEYS[1],
  'caseNo', caseNo, 'matterId', ARGV[5], 'origin', ARGV[6], 'handling', ARGV[7],
  'app', ARGV[8], 'createdAt', ARGV[4], 'updatedAt', ARGV[4], 'state', 'submitted',
  'outSeq', 1, 'inSeq', 0, 'createMsgId', msgId,
  'draft:' .. msgId, ARGV[9], 'meta:' .. msgId, ARGV[10])
redis.call('ZADD', KEYS[3], ARGV[3], caseNo .. '|' .. msgId)
redis.call('ZADD', KEYS[4], ARGV[3], caseNo)
appendEvent(KEYS[2], ARGV[11], caseNo, { kind = 'created', state = 'submitted', at = ARGV[4], messageId = msgId })
return {1}
