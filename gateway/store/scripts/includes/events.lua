-- Appends one event to a case's event list and tells watchers (WatchCase, the console) about it.
-- `event` is a flat table; no personal data goes into events.
local function appendEvent(eventsKey, channel, caseNo, event)
  redis.call('RPUSH', eventsKey, cjson.encode(event))
  redis.call('PUBLISH', channel, caseNo)
end

-- Appends an event given as JSON text, adding the case's current state and the envelope's message id
-- by splicing text: a decode/encode round trip through cjson would turn empty arrays into {}.
-- `eventJson` is a non-empty JSON object as JSON.stringify writes it.
local function appendEventJson(eventsKey, channel, caseNo, eventJson, state, messageId)
  local json = string.sub(eventJson, 1, -2) .. ',"state":' .. cjson.encode(state) .. ',"messageId":' .. cjson.encode(messageId) .. '}'
  redis.call('RPUSH', eventsKey, json)
  redis.call('PUBLISH', channel, caseNo)
end
