package revokeredis

import "github.com/redis/go-redis/v9"

// The list lives in four keys, all under one hash tag so that a script may
// touch them together on Redis Cluster:
//
//	{prefix}:set    sorted set: jti, scored by the token's exp (Unix ms)
//	{prefix}:log    sorted set: jti, scored by the sequence number of its
//	                latest revocation, trimmed to the newest logKeep
//	{prefix}:seq    the last sequence number
//	{prefix}:epoch  a random ID set when the keys are created, so that a
//	                replica notices a Redis that lost its data
//
// A replica keeps the epoch and sequence number it has seen; syncing
// returns the revocations after it, or the whole set when the epoch
// changed or the log no longer reaches back that far.

// revokeScript adds ARGV[1] with exp ARGV[2] (keeping the later exp),
// logs it, and prunes entries whose exp is before ARGV[3] and log entries
// older than the newest ARGV[4]. ARGV[5] is the epoch to create. It
// returns the new sequence number.
var revokeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], ARGV[5])
end
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', seq - tonumber(ARGV[4]))
return seq
`)

// syncScript returns {epoch, seq, full, jti1, exp1, jti2, exp2, ...}: the
// revocations after sequence ARGV[1] of epoch ARGV[2], or (full = 1) every
// entry whose exp is at least ARGV[3].
var syncScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[4]) or ''
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local last = tonumber(ARGV[1])
if epoch == ARGV[2] and seq == last then
  return {epoch, seq, 0}
end
local full = 0
if epoch ~= ARGV[2] or seq < last then
  full = 1
else
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #oldest == 0 or tonumber(oldest[2]) > last + 1 then
    full = 1
  end
end
local out = {epoch, seq, full}
if full == 1 then
  local all = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf', 'WITHSCORES')
  for i = 1, #all do
    out[#out + 1] = all[i]
  end
else
  local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. last, seq)
  for _, id in ipairs(ids) do
    local s = redis.call('ZSCORE', KEYS[1], id)
    if s then
      out[#out + 1] = id
      out[#out + 1] = s
    end
  end
end
return out
`)
