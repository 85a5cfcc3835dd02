-- del_if_equal: delete a key only if it holds the given value (a code that still points
-- at the session being deleted). Safe to repeat.
-- KEYS[1] key, ARGV[1] value
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
