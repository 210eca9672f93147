-- Appends one event to a case's event list and tells watchers (WatchCase, the console) about it.
-- `event` is a flat table; no personal data goes into events.
local function appendEvent(eventsKey, channel, caseNo, event)
  redis.call('RPUSH', eventsKey, cjson.encode(event))
  redis.call('PUBLISH', channel, caseNo)
end
