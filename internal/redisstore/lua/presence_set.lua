-- presence_set: record one instance's counts for a session until now+ttl (server clock),
-- drop other instances' expired entries, and keep the hash alive as long as its newest entry.
-- KEYS[1] presence hash
-- ARGV[1] instance, ARGV[2] counts JSON, ARGV[3] ttl in ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], string.format('%d', now + ttl) .. '|' .. ARGV[2])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local exp = tonumber(string.match(all[i + 1], '^(%d+)|'))
  if exp == nil or exp <= now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
