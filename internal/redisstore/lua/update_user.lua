-- update_user: replace a user record if it still is what the caller read, moving the email
-- reservation if the email changed. Safe to repeat.
-- KEYS[1] user key, KEYS[2] old email key, KEYS[3] new email key
-- ARGV[1] user id, ARGV[2] JSON read before, ARGV[3] new JSON
-- Returns 1 done, 0 the record moved (read again); errors NOTFOUND, CONFLICT (email taken).
local cur = redis.call('GET', KEYS[1])
if not cur then
  return redis.error_reply('NOTFOUND user')
end
if cur == ARGV[3] then
  return 1
end
if cur ~= ARGV[2] then
  return 0
end
if KEYS[2] ~= KEYS[3] then
  local owner = redis.call('GET', KEYS[3])
  if owner and owner ~= ARGV[1] then
    return redis.error_reply('CONFLICT email taken')
  end
  redis.call('SET', KEYS[3], ARGV[1])
  if redis.call('GET', KEYS[2]) == ARGV[1] then
    redis.call('DEL', KEYS[2])
  end
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
