-- set_comment_flags: set a comment's hidden and/or starred flag and bump the version.
-- Setting hidden (either way) also clears pending. Safe to repeat (the flags end the same).
-- KEYS[1] meta hash, KEYS[2] comments hash, KEYS[3] upvote counts hash, KEYS[4] flags hash
-- ARGV[1] comment id, ARGV[2] hidden ("1", "0" or "" to leave), ARGV[3] starred (same)
-- Returns {comment JSON, upvotes, flags, version}; error NOTFOUND.
local c = redis.call('HGET', KEYS[2], ARGV[1])
if not c or redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND comment')
end
local f = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
local hidden, starred, pending = f % 2, math.floor(f / 2) % 2, math.floor(f / 4) % 2
if ARGV[2] ~= '' then
  hidden = tonumber(ARGV[2])
  pending = 0
end
if ARGV[3] ~= '' then starred = tonumber(ARGV[3]) end
f = hidden + 2 * starred + 4 * pending
redis.call('HSET', KEYS[4], ARGV[1], f)
local ver = redis.call('HINCRBY', KEYS[1], 'ver', 1)
local up = redis.call('HGET', KEYS[3], ARGV[1]) or '0'
return {c, tonumber(up), f, ver}
