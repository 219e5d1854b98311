/**
 * The Lua scripts the adapter runs, and one way to run them: EVALSHA, falling back to EVAL when
 * Redis lost its script cache (a restart). Each script is atomic, which is why it is a script:
 * a broadcast's log offsets and its publish are one step (no other node can see one without the
 * other), and a dead node's cleanup cannot interleave with that node coming back.
 *
 * The scripts build keys from the prefix (see keys.ts); that is fine on a single Redis or a
 * replicated one, not on Redis Cluster (docs/cluster.md).
 */
import { createHash } from 'node:crypto';

/** A Lua script and its SHA1. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Append a broadcast to the log of each of its rooms and publish it with its positions.
 * KEYS: log and epoch key of room 1, of room 2…  ARGV: channel, max length, TTL (ms), a fresh
 * epoch (used by a log that has none), the message (without its positions section), room names.
 * Returns the positions JSON.
 */
export const PUBLISH_LOGGED = script(`
local positions = {}
for i = 1, #KEYS / 2 do
  local log, epochKey = KEYS[2 * i - 1], KEYS[2 * i]
  local epoch = redis.call('GET', epochKey)
  if not epoch then epoch = ARGV[4] end
  redis.call('SET', epochKey, epoch, 'PX', ARGV[3])
  local offset = redis.call('XADD', log, 'MAXLEN', '~', ARGV[2], '*', 'm', ARGV[5])
  redis.call('PEXPIRE', log, ARGV[3])
  positions[i] = { ARGV[5 + i], epoch, offset }
end
local encoded = cjson.encode(positions)
redis.call('PUBLISH', ARGV[1], struct.pack('>I4', #encoded) .. encoded .. ARGV[5])
return encoded
`);

// Removing one peer from the shared membership: its rooms' member sets, its rooms set, its
// entry in the peers hash (only if it still points at this node: it may have moved).
const REMOVE_PEER = `
local function removePeer(prefix, node, peer)
  local roomsKey = prefix .. ':peer:' .. peer .. ':rooms'
  for _, room in ipairs(redis.call('SMEMBERS', roomsKey)) do
    redis.call('SREM', prefix .. ':room:{' .. room .. '}:members', peer)
  end
  redis.call('DEL', roomsKey)
  if redis.call('HGET', prefix .. ':peers', peer) == node then redis.call('HDEL', prefix .. ':peers', peer) end
  redis.call('SREM', prefix .. ':node:' .. node .. ':peers', peer)
end
`;

/**
 * Remove a dead node and its peers, unless its heartbeat came back meanwhile.
 * ARGV: prefix, node id. Returns the number of peers removed, or -1 when the node is alive.
 */
export const REAP_NODE = script(`${REMOVE_PEER}
local prefix, node = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. ':node:' .. node) == 1 then return -1 end
local peers = redis.call('SMEMBERS', prefix .. ':node:' .. node .. ':peers')
for _, peer in ipairs(peers) do removePeer(prefix, node, peer) end
redis.call('DEL', prefix .. ':node:' .. node .. ':peers')
redis.call('SREM', prefix .. ':nodes', node)
return #peers
`);

/**
 * Make Redis agree with a node's own view of its peers, in one step: after Redis lost data, after
 * writes failed during an outage, or after another node reaped this one by mistake (a pause
 * longer than the timeout). ARGV: prefix, node id, node timeout (ms), JSON {peer: [rooms]}.
 * Returns the number of stale peers removed.
 */
export const RESYNC_NODE = script(`${REMOVE_PEER}
local prefix, node, timeout = ARGV[1], ARGV[2], ARGV[3]
local want = cjson.decode(ARGV[4])
local stale = 0
for _, peer in ipairs(redis.call('SMEMBERS', prefix .. ':node:' .. node .. ':peers')) do
  if want[peer] == nil then removePeer(prefix, node, peer); stale = stale + 1 end
end
for peer, rooms in pairs(want) do
  local roomsKey = prefix .. ':peer:' .. peer .. ':rooms'
  local keep = {}
  for _, room in ipairs(rooms) do keep[room] = true end
  for _, room in ipairs(redis.call('SMEMBERS', roomsKey)) do
    if not keep[room] then
      redis.call('SREM', roomsKey, room)
      redis.call('SREM', prefix .. ':room:{' .. room .. '}:members', peer)
    end
  end
  for _, room in ipairs(rooms) do
    redis.call('SADD', roomsKey, room)
    redis.call('SADD', prefix .. ':room:{' .. room .. '}:members', peer)
  end
  redis.call('HSET', prefix .. ':peers', peer, node)
  redis.call('SADD', prefix .. ':node:' .. node .. ':peers', peer)
end
redis.call('SADD', prefix .. ':nodes', node)
redis.call('SET', prefix .. ':node:' .. node, '1', 'PX', timeout)
return stale
`);

/** The part of a node-redis client the scripts need. */
export interface ScriptClient {
  evalSha(sha: string, options: { keys: string[]; arguments: Array<string | Buffer> }): Promise<unknown>;
  eval(source: string, options: { keys: string[]; arguments: Array<string | Buffer> }): Promise<unknown>;
}

/** Run `script`: EVALSHA, and EVAL once if Redis does not know it (NOSCRIPT after a restart). */
export async function runScript(client: ScriptClient, target: Script, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
  try {
    return await client.evalSha(target.sha, { keys, arguments: args });
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(target.source, { keys, arguments: args });
  }
}
