-- add_comment: store a comment unless the participant used the client id before; append it
-- to the session's and the participant's comment order; bump the version. Safe to repeat:
-- a repeat is a duplicate.
-- KEYS[1] meta hash, KEYS[2] seen set, KEYS[3] comments hash, KEYS[4] comment order list,
-- KEYS[5] the participant's comment list, KEYS[6] key registry set, KEYS[7] upvote counts
-- hash, KEYS[8] flags hash
-- ARGV[1] seen member, ARGV[2] comment id, ARGV[3] comment JSON, ARGV[4] registry name of
-- KEYS[5], ARGV[5] initial upvotes, ARGV[6] initial flags (1 hidden + 2 starred + 4 pending)
-- Returns {dup (0/1), version}; errors NOTFOUND (no session), CONFLICT (comment id taken).
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return {1, tonumber(redis.call('HGET', KEYS[1], 'ver') or 0)}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session')
end
if redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[3]) == 0 then
  return redis.error_reply('CONFLICT comment id exists')
end
redis.call('RPUSH', KEYS[4], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[2])
redis.call('SADD', KEYS[6], ARGV[4])
if ARGV[5] ~= '0' then
  redis.call('HSET', KEYS[7], ARGV[2], ARGV[5])
end
if ARGV[6] ~= '0' then
  redis.call('HSET', KEYS[8], ARGV[2], ARGV[6])
end
redis.call('SADD', KEYS[2], ARGV[1])
return {0, redis.call('HINCRBY', KEYS[1], 'ver', 1)}
