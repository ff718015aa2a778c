/**
 * The Lua scripts of the Redis engine. Every change that touches several keys is one script, so
 * that no reader ever sees half of it (Redis runs a script alone), and every answer is one
 * script, so that it filters out nodes whose lease ran out at one instant.
 *
 * Keys, under the engine's prefix P (passed as ARGV[1]; keys are built inside the scripts, which
 * a single Redis server allows; Redis Cluster is not supported):
 *
 * ```
 * P nodes           set     node ids that registered (live or not yet cleaned up)
 * P lease:<node>    string  the node's epoch, expiring after `lease` ms unless renewed
 * P n:<node>:c      set     the node's connection ids
 * P n:<node>:f      hash    connection id -> flag
 * P n:<node>:f:<fl> set     connection ids bound to flag <fl>
 * P n:<node>:m:<id> set     the groups of connection <id>
 * P n:<node>:g:<gr> set     connection ids in group <gr>
 * P n:<node>:gn     set     the groups with at least one member on the node
 * ```
 *
 * Everything a node holds is under its own keys, so that a node that died is removed in one
 * step (by any survivor, in `renew`) and a node that lost its lease registers again in one step
 * (`rebuild`), and no connection can be counted twice: a connection id belongs to one node.
 * A node is live while its lease key exists; every question skips nodes that are not, so a node
 * killed without a word leaves every answer within its lease, before anyone cleans up its keys.
 * Writes carry the node's epoch (the value of its lease key): a node whose lease ran out (and was
 * perhaps cleaned up) cannot write into a presence that no longer counts it. The script answers
 * 0 and the node registers again from its snapshot with a new epoch: it fences itself.
 */

const LIB = `
local P = ARGV[1]
local liveCache = {}
local function live(node)
  local v = liveCache[node]
  if v == nil then
    v = redis.call('EXISTS', P .. 'lease:' .. node) == 1
    liveCache[node] = v
  end
  return v
end
local function liveNodes()
  local out = {}
  for _, n in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
    if live(n) then out[#out + 1] = n end
  end
  return out
end
local function nodeOf(id)
  return string.match(id, '^([^.]+)')
end
local function base(node)
  return P .. 'n:' .. node .. ':'
end
local function purge(node)
  local b = base(node)
  for _, id in ipairs(redis.call('SMEMBERS', b .. 'c')) do redis.call('DEL', b .. 'm:' .. id) end
  for _, flag in ipairs(redis.call('HVALS', b .. 'f')) do redis.call('DEL', b .. 'f:' .. flag) end
  for _, g in ipairs(redis.call('SMEMBERS', b .. 'gn')) do redis.call('DEL', b .. 'g:' .. g) end
  redis.call('DEL', b .. 'c', b .. 'f', b .. 'gn')
end
local function janitor()
  for _, n in ipairs(redis.call('SMEMBERS', P .. 'nodes')) do
    if not live(n) then
      purge(n)
      redis.call('SREM', P .. 'nodes', n)
    end
  end
end
local function holds(node, epoch)
  return redis.call('GET', P .. 'lease:' .. node) == epoch
end
local function bindIn(b, id, flag)
  local prev = redis.call('HGET', b .. 'f', id)
  if prev then redis.call('SREM', b .. 'f:' .. prev, id) end
  redis.call('HSET', b .. 'f', id, flag)
  redis.call('SADD', b .. 'f:' .. flag, id)
end
local function unbindIn(b, id)
  local prev = redis.call('HGET', b .. 'f', id)
  if prev then
    redis.call('HDEL', b .. 'f', id)
    redis.call('SREM', b .. 'f:' .. prev, id)
  end
end
local function joinIn(b, id, g)
  redis.call('SADD', b .. 'm:' .. id, g)
  redis.call('SADD', b .. 'g:' .. g, id)
  redis.call('SADD', b .. 'gn', g)
end
local function leaveIn(b, id, g)
  redis.call('SREM', b .. 'm:' .. id, g)
  redis.call('SREM', b .. 'g:' .. g, id)
  if redis.call('SCARD', b .. 'g:' .. g) == 0 then redis.call('SREM', b .. 'gn', g) end
end
`;

/** ARGV: P, node, epoch, op, id, names... Returns 1, or 0 if the node does not hold its lease. */
const WRITE = `${LIB}
local node, epoch, op, id = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if not holds(node, epoch) then return 0 end
local b = base(node)
if op == 'add' then
  redis.call('SADD', b .. 'c', id)
  return 1
end
if redis.call('SISMEMBER', b .. 'c', id) == 0 then return 1 end
if op == 'remove' then
  unbindIn(b, id)
  for _, g in ipairs(redis.call('SMEMBERS', b .. 'm:' .. id)) do leaveIn(b, id, g) end
  redis.call('DEL', b .. 'm:' .. id)
  redis.call('SREM', b .. 'c', id)
elseif op == 'bind' then
  bindIn(b, id, ARGV[6])
elseif op == 'unbind' then
  unbindIn(b, id)
elseif op == 'join' then
  for i = 6, #ARGV do joinIn(b, id, ARGV[i]) end
elseif op == 'leave' then
  for i = 6, #ARGV do leaveIn(b, id, ARGV[i]) end
end
return 1
`;

/**
 * ARGV: P, node, epoch, leaseMs, snapshot JSON [[id, flag|false, [groups]], ...], first ('1' when
 * the node has never joined). Returns live nodes. A node joining for the first time under an id
 * whose lease is live is refused (SBTAKEN): two live processes with one node id would overwrite
 * each other's presence. A dead holder's lease runs out, and the newcomer joins then.
 */
const REBUILD = `${LIB}
local node, epoch, lease = ARGV[2], ARGV[3], tonumber(ARGV[4])
if ARGV[6] == '1' and redis.call('EXISTS', P .. 'lease:' .. node) == 1 then
  return redis.error_reply('SBTAKEN node id ' .. node .. ' is held by a live node')
end
purge(node)
redis.call('SET', P .. 'lease:' .. node, epoch, 'PX', lease)
liveCache[node] = true
redis.call('SADD', P .. 'nodes', node)
local b = base(node)
for _, e in ipairs(cjson.decode(ARGV[5])) do
  local id = e[1]
  redis.call('SADD', b .. 'c', id)
  if type(e[2]) == 'string' then bindIn(b, id, e[2]) end
  for _, g in ipairs(e[3]) do joinIn(b, id, g) end
end
return liveNodes()
`;

/**
 * ARGV: P, node, epoch, leaseMs. Renews the lease if the node still holds it, and cleans up after
 * nodes whose lease ran out. Returns {1 or 0 (fenced), live nodes...}.
 */
const RENEW = `${LIB}
local node, epoch, lease = ARGV[2], ARGV[3], tonumber(ARGV[4])
janitor()
local ok = 0
if holds(node, epoch) then
  redis.call('PEXPIRE', P .. 'lease:' .. node, lease)
  ok = 1
end
local out = liveNodes()
table.insert(out, 1, ok)
return out
`;

/**
 * ARGV: P, node, epoch. A node leaving on purpose removes itself at once, and cleans up after
 * dead nodes as a renewal would: the last node of a cluster to leave leaves nothing behind.
 */
const LEAVE = `${LIB}
local node, epoch = ARGV[2], ARGV[3]
if holds(node, epoch) then
  purge(node)
  redis.call('DEL', P .. 'lease:' .. node)
  redis.call('SREM', P .. 'nodes', node)
end
janitor()
return 1
`;

/**
 * ARGV: P, mode ('count' | 'ids'), type ('ids' | 'flags' | 'groups' | 'all'), n, n names, except ids...
 * Connection ids are unique across nodes, so per-node answers add up without double counting.
 */
const QUERY = `${LIB}
local mode, kind, n = ARGV[2], ARGV[3], tonumber(ARGV[4])
local names = {}
for i = 1, n do names[i] = ARGV[4 + i] end
local except = {}
local hasExcept = false
for i = 5 + n, #ARGV do except[ARGV[i]] = true; hasExcept = true end
local count, out, seen = 0, {}, {}
local function take(id)
  if seen[id] or except[id] then return end
  seen[id] = true
  count = count + 1
  if mode == 'ids' then out[#out + 1] = id end
end
if kind == 'ids' then
  for _, id in ipairs(names) do
    local node = nodeOf(id)
    if node and live(node) and redis.call('SISMEMBER', base(node) .. 'c', id) == 1 then take(id) end
  end
else
  for _, node in ipairs(liveNodes()) do
    local b = base(node)
    if kind == 'all' then
      if mode == 'count' and not hasExcept then
        count = count + redis.call('SCARD', b .. 'c')
      else
        for _, id in ipairs(redis.call('SMEMBERS', b .. 'c')) do take(id) end
      end
    else
      local key = kind == 'flags' and 'f:' or 'g:'
      if mode == 'count' and not hasExcept and n == 1 then
        count = count + redis.call('SCARD', b .. key .. names[1])
      else
        for _, name in ipairs(names) do
          for _, id in ipairs(redis.call('SMEMBERS', b .. key .. name)) do take(id) end
        end
      end
    end
  end
end
if mode == 'count' then return count end
return out
`;

/** ARGV: P, what ('flagOf' | 'groupsOf' | 'groups' | 'nodes'), id. */
const LOOKUP = `${LIB}
local what, id = ARGV[2], ARGV[3]
if what == 'nodes' then return liveNodes() end
if what == 'groups' then
  local out, seen = {}, {}
  for _, node in ipairs(liveNodes()) do
    for _, g in ipairs(redis.call('SMEMBERS', base(node) .. 'gn')) do
      if not seen[g] then seen[g] = true; out[#out + 1] = g end
    end
  end
  return out
end
local node = nodeOf(id)
if not node or not live(node) then
  if what == 'flagOf' then return false end
  return {}
end
if what == 'flagOf' then return redis.call('HGET', base(node) .. 'f', id) end
return redis.call('SMEMBERS', base(node) .. 'm:' .. id)
`;

/**
 * ARGV: P, message, '*' or target node ids... Publishes to every node (channel `P all`) or to each
 * live target (`P to:<node>`), and returns the live nodes addressed, at the instant of publishing:
 * exactly the nodes a request must wait for.
 */
const SEND = `${LIB}
local msg = ARGV[2]
if ARGV[3] == '*' then
  redis.call('PUBLISH', P .. 'all', msg)
  return liveNodes()
end
local out = {}
for i = 3, #ARGV do
  local node = ARGV[i]
  if live(node) then
    redis.call('PUBLISH', P .. 'to:' .. node, msg)
    out[#out + 1] = node
  end
end
return out
`;

export const REDIS_SCRIPTS = {
  sbWrite: WRITE,
  sbRebuild: REBUILD,
  sbRenew: RENEW,
  sbLeave: LEAVE,
  sbQuery: QUERY,
  sbLookup: LOOKUP,
  sbSend: SEND,
} as const;
