-- create_user: store a user and reserve its (case-folded) email. Safe to repeat.
-- KEYS[1] user key, KEYS[2] email key, KEYS[3] users set
-- ARGV[1] user id, ARGV[2] user JSON
-- Error CONFLICT if the email belongs to another user or the id exists with another email.
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then
  return redis.error_reply('CONFLICT email taken')
end
if not owner and redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('CONFLICT user id exists')
end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
