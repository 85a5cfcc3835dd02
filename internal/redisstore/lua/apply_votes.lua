-- apply_votes: a batch of votes to one session. Each op has the outcome it would have
-- alone, in order: dedupe by participant+client id, check the activity is open, replace
-- the participant's earlier vote on the same activity and statement (the tally moves by
-- the old contribution reversed plus the new one, and "_v" by 1), record the client id,
-- bump the session version by 1. The script runs as one step, so it gathers the writes
-- (net tally changes per field, the new votes, the new ids) and makes them once at the
-- end. Safe to repeat: a repeated op is a duplicate and changes nothing.
-- KEYS[1] meta hash, KEYS[2] open set, KEYS[3] seen set, KEYS[4] votes hash,
-- KEYS[5] key registry set, KEYS[6..] the ops' vote index sets and tally hashes
-- ARGV, per op: seen member (participant NUL client id), activity id, vote field, stored
-- vote (its contribution as "<len>:<field>=<amount>;"…, a newline, then the vote JSON),
-- index in KEYS of its vote index set, index in KEYS of its tally hash, registry names of
-- those two keys, number of contribution pairs, then the pairs (field, amount)
-- Returns a flat list: status, version for each op; status 0 applied, 1 duplicate, 2 closed.

-- contribution reads the contribution at the start of a stored vote as a flat list
-- field, amount, …; nil if it is malformed.
local function contribution(s)
  local out, pos = {}, 1
  while string.byte(s, pos) ~= 10 do
    local colon = string.find(s, ':', pos, true)
    if not colon then return nil end
    local len = tonumber(string.sub(s, pos, colon - 1))
    if not len then return nil end
    local semi = string.find(s, ';', colon + len + 2, true)
    if not semi then return nil end
    out[#out + 1] = string.sub(s, colon + 1, colon + len)
    out[#out + 1] = tonumber(string.sub(s, colon + len + 2, semi - 1))
    pos = semi + 1
  end
  return out
end

-- chunked runs cmd on key with the list's items as arguments, in chunks that stay well
-- inside Lua's stack for unpack, and returns the replies joined.
local function chunked(cmd, key, list)
  local replies = {}
  for s = 1, #list, 400 do
    local r = redis.call(cmd, key, unpack(list, s, math.min(s + 399, #list)))
    if type(r) == 'table' then
      for _, x in ipairs(r) do
        replies[#replies + 1] = x
      end
    end
  end
  return replies
end

-- The ops, and what is stored for them, read in one go.
local ops, members, fields = {}, {}, {}
local i, n = 1, #ARGV
while i <= n do
  local op = {member = ARGV[i], act = ARGV[i + 1], field = ARGV[i + 2], doc = ARGV[i + 3],
    pv = tonumber(ARGV[i + 4]), tally = tonumber(ARGV[i + 5]), pvName = ARGV[i + 6],
    tallyName = ARGV[i + 7], first = i + 9}
  i = op.first + 2 * tonumber(ARGV[i + 8])
  op.last = i - 1
  ops[#ops + 1] = op
  members[#members + 1] = op.member
  fields[#fields + 1] = op.field
end
local wasSeen = chunked('SMISMEMBER', KEYS[3], members)
local stored = chunked('HMGET', KEYS[4], fields)

local out = {}
local start = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
local ver = start
local open = {}        -- activity id → open?
local seen = {}        -- seen members added by this batch
local seenList = {}
local contribs = {}    -- vote field → contribution of the vote this batch stored there
local votes = {}       -- vote field → stored vote this batch wrote there
local voteList = {}
local tallies = {}     -- KEYS index → {name, delta = {field → n}, order, v}
local tallyList = {}
local newKeys = {}     -- registry names of keys this batch created

for k, op in ipairs(ops) do
  if open[op.act] == nil then
    open[op.act] = redis.call('SISMEMBER', KEYS[2], op.act) == 1
  end
  if seen[op.member] or wasSeen[k] == 1 then
    out[#out + 1] = 1
    out[#out + 1] = ver
  elseif not open[op.act] then
    out[#out + 1] = 2
    out[#out + 1] = ver
  else
    seen[op.member] = true
    seenList[#seenList + 1] = op.member
    local t = tallies[op.tally]
    if t == nil then
      t = {name = op.tallyName, delta = {}, order = {}, v = 0}
      tallies[op.tally] = t
      tallyList[#tallyList + 1] = op.tally
    end
    local delta, order = t.delta, t.order
    local old = contribs[op.field]
    if old == nil then
      if stored[k] then
        old = contribution(stored[k])
      else
        redis.call('SADD', KEYS[op.pv], op.field)
        newKeys[op.pvName] = true
      end
    end
    if old then
      for j = 1, #old, 2 do
        local f = old[j]
        local d = delta[f]
        if d == nil then
          order[#order + 1] = f
          d = 0
        end
        delta[f] = d - old[j + 1]
      end
    end
    local new = {}
    for j = op.first, op.last, 2 do
      local f, x = ARGV[j], tonumber(ARGV[j + 1])
      local d = delta[f]
      if d == nil then
        order[#order + 1] = f
        d = 0
      end
      delta[f] = d + x
      new[#new + 1] = f
      new[#new + 1] = x
    end
    contribs[op.field] = new
    if votes[op.field] == nil then
      voteList[#voteList + 1] = op.field
    end
    votes[op.field] = op.doc
    t.v = t.v + 1
    ver = ver + 1
    out[#out + 1] = 0
    out[#out + 1] = ver
  end
end

if ver == start then
  return out
end
-- The writes.
local pairs_ = {}
for _, f in ipairs(voteList) do
  pairs_[#pairs_ + 1] = f
  pairs_[#pairs_ + 1] = votes[f]
end
chunked('HSET', KEYS[4], pairs_)
chunked('SADD', KEYS[3], seenList)
for _, idx in ipairs(tallyList) do
  local t = tallies[idx]
  for _, f in ipairs(t.order) do
    local d = t.delta[f]
    if d ~= 0 then
      redis.call('HINCRBY', KEYS[idx], f, string.format('%d', d))
    end
  end
  if redis.call('HINCRBY', KEYS[idx], '_v', t.v) == t.v then
    newKeys[t.name] = true
  end
end
local names = {}
for name in pairs(newKeys) do
  names[#names + 1] = name
end
chunked('SADD', KEYS[5], names)
redis.call('HINCRBY', KEYS[1], 'ver', ver - start)
return out
