--[[
  Drops the oldest entries of the audit log once they are safely in an archive file, and records
  where the live log now starts, so verification continues from the archive's last hash.

  KEYS[1] log
  KEYS[2] head

  ARGV[1] how many entries were archived from the front of the log
  ARGV[2] seq of the first of them (must be where the live log starts now)
  ARGV[3] hash of the last of them

  Returns 1, or 0 when the log does not start at ARGV[2] (archived by someone else meanwhile).
]]
local archived = tonumber(redis.call('HGET', KEYS[2], 'archived') or '0')
if archived ~= tonumber(ARGV[2]) then return 0 end
local n = tonumber(ARGV[1])
redis.call('LTRIM', KEYS[1], n, -1)
redis.call('HSET', KEYS[2], 'archived', archived + n, 'archivedHash', ARGV[3])
return 1
