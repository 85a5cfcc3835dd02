-- participant_by_token: the participant JSON behind a token hash, or nil.
-- KEYS[1] token hash → participant id, KEYS[2] participants hash
-- ARGV[1] token hash
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then
  return false
end
return redis.call('HGET', KEYS[2], id)
