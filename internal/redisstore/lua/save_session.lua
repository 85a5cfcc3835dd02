-- save_session: compare-and-swap the session document on its revision, rewrite the open
-- set, bump the version. Safe to repeat: if the stored document is already this one at
-- revision+1, the earlier call won and the current version is returned.
-- KEYS[1] meta hash, KEYS[2] open set
-- ARGV[1] expected revision, ARGV[2] new doc JSON (carrying revision+1), ARGV[3..] open ids
-- Returns the new version; errors NOTFOUND, CONFLICT.
local cur = redis.call('HMGET', KEYS[1], 'rev', 'doc')
if not cur[1] then
  return redis.error_reply('NOTFOUND session')
end
local rev = tonumber(cur[1])
local want = tonumber(ARGV[1])
if rev ~= want then
  if rev == want + 1 and cur[2] == ARGV[2] then
    return tonumber(redis.call('HGET', KEYS[1], 'ver'))
  end
  return redis.error_reply('CONFLICT revision moved')
end
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'rev', want + 1)
redis.call('DEL', KEYS[2])
if #ARGV > 2 then
  redis.call('SADD', KEYS[2], unpack(ARGV, 3))
end
return redis.call('HINCRBY', KEYS[1], 'ver', 1)
