-- upvote: a participant's upvote of a comment, at most one per participant and comment;
-- records the client id; bumps the version when it changed something. Safe to repeat.
-- KEYS[1] meta hash, KEYS[2] seen set, KEYS[3] comments hash, KEYS[4] upvote counts hash,
-- KEYS[5] flags hash, KEYS[6] the comment's upvoters set, KEYS[7] the participant's
-- upvoted set, KEYS[8] key registry set
-- ARGV[1] seen member, ARGV[2] comment id, ARGV[3] participant id, ARGV[4] registry name
-- of KEYS[6], ARGV[5] registry name of KEYS[7]
-- Returns {changed (0/1), comment JSON, upvotes, flags}; error NOTFOUND.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session')
end
local c = redis.call('HGET', KEYS[3], ARGV[2])
if not c then
  return redis.error_reply('NOTFOUND comment')
end
local changed = 0
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  if redis.call('SADD', KEYS[6], ARGV[3]) == 1 then
    changed = 1
    redis.call('SADD', KEYS[7], ARGV[2])
    redis.call('SADD', KEYS[8], ARGV[4], ARGV[5])
    redis.call('HINCRBY', KEYS[4], ARGV[2], 1)
    redis.call('HINCRBY', KEYS[1], 'ver', 1)
  end
  redis.call('SADD', KEYS[2], ARGV[1])
end
local up = redis.call('HGET', KEYS[4], ARGV[2]) or '0'
local fl = redis.call('HGET', KEYS[5], ARGV[2]) or '0'
return {changed, c, tonumber(up), tonumber(fl)}
