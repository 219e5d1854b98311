/**
 * The Lua scripts of the Redis session store (docs/cluster.md "Resume across nodes"). Every write
 * to a session checks its `owner` field first: once another node took the session over, the old
 * node's late writes are refused (fenced), so a session is never written by two nodes. Keys are
 * built from the prefix for the room logs (see keys.ts), as the adapter's scripts do.
 */
import { createHash } from 'node:crypto';
import type { Script } from './scripts.js';

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Write what changed of a session, in one step. KEYS: record, log. ARGV: node id, control JSON
 * `{ ttl, maxlen, create, fields, trim, prune, keep, rooms: [[room, epoch, offset]], prefix }`,
 * then 4 per logged envelope: seq, data, broadcast id, binary flag. An envelope whose seq does
 * not follow the last one written (an earlier write failed) marks the record `gap`: it can no
 * longer be resumed elsewhere. A room without a position from this node starts after its log's
 * last entry. Returns 1; 0 when another node owns the session; -1 when the record is gone
 * (Redis lost its data): the caller writes it again in full.
 */
export const SESSION_WRITE = script(`
local rec, log = KEYS[1], KEYS[2]
local node = ARGV[1]
local c = cjson.decode(ARGV[2])
local owner = redis.call('HGET', rec, 'owner')
if owner and owner ~= node then return 0 end
if not owner and not c.create then return -1 end
redis.call('HSET', rec, 'owner', node)
for k, v in pairs(c.fields) do redis.call('HSET', rec, k, v) end
local sent = tonumber(redis.call('HGET', rec, 'sent') or '0')
for i = 3, #ARGV - 3, 4 do
  local seq = tonumber(ARGV[i])
  if seq > sent then
    if seq ~= sent + 1 then redis.call('HSET', rec, 'gap', '1') end
    redis.call('XADD', log, 'MAXLEN', '~', c.maxlen, ARGV[i] .. '-0', 'd', ARGV[i + 1], 'i', ARGV[i + 2], 'b', ARGV[i + 3])
    sent = seq
  end
end
redis.call('HSET', rec, 'sent', sent)
if c.trim > 0 then redis.call('XTRIM', log, 'MINID', c.trim .. '-0') end
if c.prune then
  for _, f in ipairs(redis.call('HKEYS', rec)) do
    if string.sub(f, 1, 4) == 'pos:' and not c.keep[string.sub(f, 5)] then redis.call('HDEL', rec, f) end
  end
end
for _, r in ipairs(c.rooms) do
  local field = 'pos:' .. r[1]
  if r[3] ~= '' then
    redis.call('HSET', rec, field, r[2] .. ' ' .. r[3])
  elseif redis.call('HEXISTS', rec, field) == 0 then
    local epoch = redis.call('GET', c.prefix .. ':room:{' .. r[1] .. '}:epoch')
    local last = redis.call('XREVRANGE', c.prefix .. ':room:{' .. r[1] .. '}:log', '+', '-', 'COUNT', 1)
    if epoch and last[1] then redis.call('HSET', rec, field, epoch .. ' ' .. last[1][1])
    else redis.call('HSET', rec, field, ' 0-0') end
  end
end
redis.call('PEXPIRE', rec, c.ttl)
if redis.call('EXISTS', log) == 1 then redis.call('PEXPIRE', log, c.ttl) end
return 1
`);

/**
 * A session ended: forget it and remember why for the window. KEYS: record, log, ended. ARGV:
 * node id, reason (`left`: nothing to remember), TTL. Returns 0 when another node owns it.
 */
export const SESSION_END = script(`
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
if ARGV[2] == 'left' then redis.call('DEL', KEYS[3]) else redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3]) end
return 1
`);

/**
 * Take a session over for this node (from now on the old owner's writes are refused) and return
 * its record as a flat field/value list, or nil when it is gone. KEYS: record, log. ARGV: node
 * id, TTL.
 */
export const SESSION_TAKE = script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return redis.call('HGETALL', KEYS[1])
`);
