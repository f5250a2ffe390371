package revokeredis

import "github.com/redis/go-redis/v9"

// The list lives in five keys, all under one hash tag so that a script may
// touch them together on Redis Cluster:
//
//	{prefix}:set    sorted set: jti, scored by the token's exp (Unix ms)
//	{prefix}:log    sorted set: jti, scored by the sequence number of its
//	                latest revocation, trimmed to the newest logKeep
//	{prefix}:mark   sorted set: a random token written with each
//	                revocation, scored by its sequence number, trimmed to
//	                one more than the log (so that a replica whose last
//	                entry just left the log still finds its mark)
//	{prefix}:seq    the last sequence number
//	{prefix}:epoch  a random ID set when the keys are created, so that a
//	                replica notices a Redis that lost its data
//
// A replica keeps the epoch and sequence number it has seen, and the jti
// and the mark written with that sequence number; syncing returns the
// revocations after it, or the whole set when the epoch changed, the log
// no longer reaches back that far, or the log is no longer the one the
// replica read. The last happens when Redis loses its latest writes but
// keeps the epoch (a failover to a replica that had not received them, a
// restart from an older snapshot): it hands the lost sequence numbers out
// again, and a replica that had read the lost revocations would skip the
// new ones if it compared sequence numbers alone. Redis applies writes in
// order, so a log that still holds the replica's last entry under its
// sequence number holds every entry before it.
//
// The jti is checked too (it must still be logged at that sequence number
// or, revoked again since, a later one). Writers of an older version write
// no mark; a replica that read such an entry checks its jti alone, and
// reads the whole set when the jti was revoked again since, as it cannot
// tell that from a loss.

// revokeScript adds ARGV[1] with exp ARGV[2] (keeping the later exp),
// logs it with the mark ARGV[6], and prunes entries dead for more than
// ARGV[3] ms and log entries older than the newest ARGV[4]. ARGV[5] is the
// epoch to create. Death is judged by Redis's clock, not the revoking
// replica's, so that a replica whose clock runs fast neither prunes entries
// still alive by the others' clocks nor drops its own revocation. It
// returns the new sequence number, or 0 for a token dead already (exp +
// grace not after Redis's time), which it does not store.
var revokeScript = redis.NewScript(`
if redis.replicate_commands then
  redis.replicate_commands() -- Redis < 5: TIME before writes
end
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], ARGV[5])
end
if tonumber(ARGV[2]) <= cutoff then
  return 0
end
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[5], seq, ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', seq - tonumber(ARGV[4]))
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', seq - tonumber(ARGV[4]) - 1)
return seq
`)

// Why a sync reads the whole set (the third item of its reply).
const (
	syncIncremental = 0 // only the revocations after the replica's
	syncFull        = 1 // first sync, or the log no longer reaches back
	syncNewEpoch    = 2 // Redis lost its data and started anew
	syncLogChanged  = 3 // Redis lost writes the replica had read
)

// syncScript returns {epoch, seq, full, jti, mark, jti1, exp1, jti2, exp2,
// ...}: the revocations after sequence ARGV[1] of epoch ARGV[2], whose
// entry was jti ARGV[4] with mark ARGV[5] ("" if unknown), or (full > 0,
// one of the sync constants) every entry whose exp is at least ARGV[3]
// (the replica's clock less its grace: it would drop the others at once);
// jti and mark are those of the entry at seq, for the next sync.
var syncScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[4]) or ''
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
local last = tonumber(ARGV[1])
local full = 0
if epoch ~= ARGV[2] then
  if ARGV[2] == '' then full = 1 else full = 2 end
elseif seq < last then
  full = 3
elseif last > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local first = seq + 1
  if #oldest > 0 then first = tonumber(oldest[2]) end
  if seq > last and first > last + 1 then
    -- The log no longer reaches back to the replica: it reads the whole
    -- set, which settles a loss too. Falling behind is not a loss.
    full = 1
  else
    -- The jti may have been revoked again since (a later score), or its
    -- entry may just have left the log (trimmed); its mark never moves.
    local trimmed = first > last
    local j = false
    if ARGV[4] ~= '' then
      j = tonumber(redis.call('ZSCORE', KEYS[2], ARGV[4]))
    end
    if j and j < last then j = false end
    if ARGV[5] ~= '' then
      if tonumber(redis.call('ZSCORE', KEYS[5], ARGV[5])) ~= last then
        full = 3
      elseif ARGV[4] ~= '' and not j and not trimmed then
        full = 3
      end
    elseif not j then
      if ARGV[4] == '' or trimmed then full = 1 else full = 3 end
    elseif j > last then
      full = 1 -- no mark (an older writer): cannot tell
    end
  end
end
if full == 0 and seq > last then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #oldest == 0 or tonumber(oldest[2]) > last + 1 then
    full = 1
  end
end
local jti = redis.call('ZRANGEBYSCORE', KEYS[2], seq, seq)[1] or ''
local mark = redis.call('ZRANGEBYSCORE', KEYS[5], seq, seq)[1] or ''
local out = {epoch, seq, full, jti, mark}
if full > 0 then
  local all = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], '+inf', 'WITHSCORES')
  for i = 1, #all do
    out[#out + 1] = all[i]
  end
elseif seq > last then
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
