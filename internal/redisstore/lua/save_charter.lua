-- save_charter: store a charter unless its id exists; the same source again is a no-op.
-- KEYS[1] charters hash
-- ARGV[1] charter id, ARGV[2] charter JSON, ARGV[3] its source
-- Returns 1 stored, 0 no-op; error CONFLICT for the same id with another source.
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
local ok, v = pcall(cjson.decode, cur)
if ok and type(v) == 'table' and v.source == ARGV[3] then
  return 0
end
return redis.error_reply('CONFLICT charter id exists with another source')
