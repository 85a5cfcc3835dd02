-- add_participant: store a participant, index its token hash, count it in its group.
-- Safe to repeat: a participant id stored already changes nothing.
-- KEYS[1] meta hash, KEYS[2] participants hash, KEYS[3] token hash → participant id,
-- KEYS[4] group counts hash
-- ARGV[1] participant id, ARGV[2] participant JSON, ARGV[3] token hash, ARGV[4] group id or ""
-- Returns 1 when added, 0 for a repeat; error NOTFOUND without the session.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOTFOUND session')
end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return 0
end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
end
if ARGV[4] ~= '' then
  redis.call('HINCRBY', KEYS[4], ARGV[4], 1)
end
return 1
