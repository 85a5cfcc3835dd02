-- presence_get: the counts JSON of every instance whose entry has not expired (server clock).
-- KEYS[1] presence hash
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local exp, body = string.match(all[i + 1], '^(%d+)|(.*)$')
  if exp and tonumber(exp) > now then
    out[#out + 1] = body
  end
end
return out
