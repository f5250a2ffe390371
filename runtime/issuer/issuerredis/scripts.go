package issuerredis

import "github.com/redis/go-redis/v9"

// createScript stores a session (KEYS[1]), its first refresh token
// (KEYS[2]) and its first access token (KEYS[3]).
// ARGV: subject, scope, claims, created ms, session end ms, session ID,
// token expiry ms, access jti, access expiry ms.
var createScript = redis.NewScript(`
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'scope', ARGV[2], 'claims', ARGV[3],
  'created', ARGV[4], 'exp', ARGV[5], 'revoked', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], 's', ARGV[6], 'exp', ARGV[7], 'used', '0')
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[9], ARGV[8])
redis.call('PEXPIREAT', KEYS[3], ARGV[5])
return 1
`)

// rotateScript exchanges the refresh token KEYS[1] for KEYS[2].
// ARGV: now ms, next expiry ms, access jti, access expiry ms, key tag,
// access tokens kept (MaxAccessRefs), excess returned at most
// (MaxExcessPerRefresh), access tokens remembered at most
// (MaxRememberedRefs: beyond, {'backlog', session ID, jti, exp, ...}
// with the oldest, and nothing changes). It returns {'invalid'}, {'reused', jti,
// exp, ...} or {'ok', session ID, subject, scope, claims, created ms, end
// ms, jti, exp, ...}: the access tokens beyond the limit beside the new
// one, those expiring first, to be revoked and then forgotten (Forget). The
// session keys are derived from the token's session ID; they share the tag.
var rotateScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local g = redis.call('HMGET', KEYS[1], 's', 'exp', 'used')
if not g[1] or tonumber(g[2]) <= now then
  return {'invalid'}
end
local skey = ARGV[5] .. 's:' .. g[1]
local akey = ARGV[5] .. 'a:' .. g[1]
local s = redis.call('HMGET', skey, 'sub', 'scope', 'claims', 'created', 'exp', 'revoked')
if not s[1] or s[6] == '1' or tonumber(s[5]) <= now then
  return {'invalid'}
end
redis.call('ZREMRANGEBYSCORE', akey, '-inf', now)
if g[3] == '1' then
  redis.call('HSET', skey, 'revoked', '1')
  local out = {'reused'}
  for _, v in ipairs(redis.call('ZRANGE', akey, 0, -1, 'WITHSCORES')) do
    out[#out + 1] = v
  end
  redis.call('DEL', akey)
  return out
end
local have = redis.call('ZCARD', akey)
if have >= tonumber(ARGV[8]) then
  local out = {'backlog', g[1]}
  for _, v in ipairs(redis.call('ZRANGE', akey, 0, tonumber(ARGV[7]) - 1, 'WITHSCORES')) do
    out[#out + 1] = v
  end
  return out
end
redis.call('HSET', KEYS[1], 'used', '1')
local exp = ARGV[2]
if tonumber(s[5]) < tonumber(exp) then
  exp = s[5]
end
redis.call('HSET', KEYS[2], 's', g[1], 'exp', exp, 'used', '0')
redis.call('PEXPIREAT', KEYS[2], exp)
local out = {'ok', g[1], s[1], s[2], s[3], s[4], s[5]}
local n = math.min(have + 1 - tonumber(ARGV[6]), tonumber(ARGV[7]))
if n > 0 then
  for _, v in ipairs(redis.call('ZRANGE', akey, 0, n - 1, 'WITHSCORES')) do
    out[#out + 1] = v
  end
end
redis.call('ZADD', akey, ARGV[4], ARGV[3])
redis.call('PEXPIREAT', akey, s[5])
return out
`)

// revokeScript revokes the session of the refresh token KEYS[1].
// ARGV: now ms, key tag. It returns {'invalid'} or {'ok', jti, exp, ...}.
var revokeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local g = redis.call('HMGET', KEYS[1], 's', 'exp')
if not g[1] or tonumber(g[2]) <= now then
  return {'invalid'}
end
local skey = ARGV[2] .. 's:' .. g[1]
local akey = ARGV[2] .. 'a:' .. g[1]
if redis.call('EXISTS', skey) == 0 then
  return {'invalid'}
end
redis.call('HSET', skey, 'revoked', '1')
redis.call('ZREMRANGEBYSCORE', akey, '-inf', now)
local out = {'ok'}
for _, v in ipairs(redis.call('ZRANGE', akey, 0, -1, 'WITHSCORES')) do
  out[#out + 1] = v
end
redis.call('DEL', akey)
return out
`)
