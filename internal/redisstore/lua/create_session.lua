-- create_session: store a new session document, its revision (1), version (1), epoch and
-- open set, in one step. Safe to repeat: the same document again is a success.
-- KEYS[1] meta hash, KEYS[2] open set
-- ARGV[1] doc JSON, ARGV[2] code, ARGV[3] epoch, ARGV[4] owner, ARGV[5] created (unix ms),
-- ARGV[6..] open activity ids
-- Returns the version; error CONFLICT if another session has the id.
local doc = redis.call('HGET', KEYS[1], 'doc')
if doc then
  if doc == ARGV[1] then
    return tonumber(redis.call('HGET', KEYS[1], 'ver'))
  end
  return redis.error_reply('CONFLICT session id exists')
end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'rev', 1, 'ver', 1, 'epoch', ARGV[3],
  'code', ARGV[2], 'owner', ARGV[4], 'created', ARGV[5])
redis.call('DEL', KEYS[2])
if #ARGV > 5 then
  redis.call('SADD', KEYS[2], unpack(ARGV, 6))
end
return 1
