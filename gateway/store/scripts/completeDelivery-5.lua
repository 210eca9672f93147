--[[
  Records a verified receipt for one of our envelopes: stores the envelope bytes that the receipt
  answers and the receipt itself, verbatim; drops the other send attempts; takes the envelope off
  the outbox — and off the dead letters, where a replica whose lease ran out may have put it.
  Idempotent.

  KEYS[1] case record (hash)
  KEYS[2] case events (list)
  KEYS[3] case archive (hash)
  KEYS[4] shard outbox (zset)
  KEYS[5] shard dead letters (zset)

  ARGV[1] caseNo
  ARGV[2] messageId
  ARGV[3] outbox member
  ARGV[4] envelope bytes (the attempt the receipt answers)
  ARGV[5] receipt bytes
  ARGV[6] receipt id
  ARGV[7] SHA-256 of the envelope body (hex)
  ARGV[8] now (ISO 8601)
  ARGV[9] case-events channel

  Returns 1 when recorded, 0 when it already was (or the envelope is unknown).
]]
--- @include "events"
local caseNo, msgId = ARGV[1], ARGV[2]
local metaJson = redis.call('HGET', KEYS[1], 'meta:' .. msgId)
local function dequeue()
  redis.call('ZREM', KEYS[4], ARGV[3])
  redis.call('ZREM', KEYS[5], ARGV[3])
end
if not metaJson then
  dequeue()
  return 0
end
local meta = cjson.decode(metaJson)
if meta.delivery == 'receipted' then
  dequeue()
  return 0
end
redis.call('HSET', KEYS[3], 'env:' .. msgId, ARGV[4], 'rcpt:' .. msgId, ARGV[5])
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[3], cursor, 'MATCH', 'att:' .. msgId .. ':*', 'COUNT', 100)
  cursor = page[1]
  for i = 1, #page[2], 2 do redis.call('HDEL', KEYS[3], page[2][i]) end
until cursor == '0'

meta.delivery = 'receipted'
meta.receiptId = ARGV[6]
meta.bodySha256 = ARGV[7]
meta.receiptedAt = ARGV[8]
redis.call('HSET', KEYS[1], 'meta:' .. msgId, cjson.encode(meta))
redis.call('HDEL', KEYS[1], 'draft:' .. msgId)
dequeue()

local state = redis.call('HGET', KEYS[1], 'state')
if meta.type == 'application' and state == 'submitted' then
  state = 'forwarded'
  redis.call('HSET', KEYS[1], 'state', state, 'updatedAt', ARGV[8])
  appendEvent(KEYS[2], ARGV[9], caseNo, { kind = 'forwarded', state = state, at = ARGV[8], messageId = msgId })
else
  appendEvent(KEYS[2], ARGV[9], caseNo, { kind = 'receipted', state = state, at = ARGV[8], messageId = msgId })
end
return 1
