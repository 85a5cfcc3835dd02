-- delete_session: remove the session's head (document and open set) so that every later
-- write to it is refused, keeping its code and owner in a tombstone until the caller has
-- removed the code, the index entries and the rest of the session's keys (the tombstone
-- last). Safe to repeat: a repeat after a partial delete finds the code in the tombstone.
-- KEYS[1] meta hash, KEYS[2] open set, KEYS[3] tombstone hash
-- Returns {code, owner} ("" when unknown).
local m = redis.call('HMGET', KEYS[1], 'code', 'owner')
if m[1] then
  redis.call('HSET', KEYS[3], 'code', m[1], 'owner', m[2] or '')
end
redis.call('DEL', KEYS[1], KEYS[2])
local t = redis.call('HMGET', KEYS[3], 'code', 'owner')
return {t[1] or '', t[2] or ''}
