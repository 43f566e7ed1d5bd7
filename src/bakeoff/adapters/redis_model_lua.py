"""The Lua functions every script of the Redis `hashes` model shares (`redis_model_scripts`
prepends them): how a row is placed in its sorted sets and taken out, written, removed,
and purged once Redis has expired it."""

from __future__ import annotations

from typing import Final

LIBRARY: Final = """
local function names(argv, i)
  local list = {}
  for j = 1, tonumber(argv[i]) do list[j] = argv[i + j] end
  return list, i + 1 + #list
end

local function structure(argv, i)
  local s = {prefix = argv[i], ordering = argv[i + 1], partition = argv[i + 2]}
  s.indexes, i = names(argv, i + 3)
  s.groups, i = names(argv, i)
  s.totals, i = names(argv, i)
  return s, i
end

-- The row's share of its groups' row counts and totals, added (sign 1) or taken (-1).
local function tally(s, row, sign)
  for _, g in ipairs(s.groups) do
    local member = redis.call('HGET', row, g)
    if member then
      local rows = s.prefix .. '__rows:by:' .. g
      local left = tonumber(redis.call('ZINCRBY', rows, sign, member))
      for _, t in ipairs(s.totals) do
        local total = s.prefix .. '__sum:' .. t .. ':by:' .. g
        if left <= 0 then
          redis.call('ZREM', total, member)
        else
          redis.call('ZINCRBY', total, sign * tonumber(redis.call('HGET', row, t) or 0), member)
        end
      end
      if left <= 0 then redis.call('ZREM', rows, member) end
    end
  end
end

local function structures(argv, i)
  local s
  local children = {}
  s, i = structure(argv, i)
  local n = tonumber(argv[i])
  i = i + 1
  for j = 1, n do children[j], i = structure(argv, i) end
  return s, children, i
end

-- `source`: the hash to read the row's placing fields from (by default the row's own).
-- Rows written with a TTL: <prefix>__expires scores each by the epoch ms it expires at,
-- and <prefix>__ghost:<id> keeps (with no TTL) the fields that place it in sorted sets,
-- so that once Redis has expired the row its entries can still be removed (purge).
local function remember(s, id)
  if not redis.call('ZSCORE', s.prefix .. '__expires', id) then return end
  local ghost = s.prefix .. '__ghost:' .. id
  redis.call('DEL', ghost)
  local fields = {}
  if s.partition ~= '' then fields[1] = s.partition end
  for _, list in ipairs({s.indexes, s.groups, s.totals}) do
    for _, f in ipairs(list) do fields[#fields + 1] = f end
  end
  if #fields == 0 then return end
  local values = redis.call('HMGET', s.prefix .. id, unpack(fields))
  local kept = {}
  for j, f in ipairs(fields) do
    if values[j] then
      kept[#kept + 1] = f
      kept[#kept + 1] = values[j]
    end
  end
  if #kept > 0 then redis.call('HSET', ghost, unpack(kept)) end
end

local function forget(s, id)
  if redis.call('ZREM', s.prefix .. '__expires', id) == 1 then
    redis.call('DEL', s.prefix .. '__ghost:' .. id)
  end
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function unlink(s, id, source)
  local row = source or (s.prefix .. id)
  if redis.call('ZREM', s.prefix .. '__all', id) == 1 then tally(s, row, -1) end
  if s.partition ~= '' then
    local p = redis.call('HGET', row, s.partition)
    if p then redis.call('ZREM', s.prefix .. '__part:' .. p, id) end
  end
  for _, f in ipairs(s.indexes) do
    local v = redis.call('HGET', row, f)
    if v then redis.call('ZREM', s.prefix .. '__idx:' .. f .. ':' .. v, id) end
  end
end

local function link(s, id, kscore)
  local row = s.prefix .. id
  local score = kscore
  if s.ordering ~= '' then score = redis.call('HGET', row, s.ordering) or '-inf' end
  if redis.call('ZADD', s.prefix .. '__all', score, id) == 1 then tally(s, row, 1) end
  if s.partition ~= '' then
    local p = redis.call('HGET', row, s.partition)
    if p then redis.call('ZADD', s.prefix .. '__part:' .. p, score, id) end
  end
  for _, f in ipairs(s.indexes) do
    local v = redis.call('HGET', row, f)
    if v then redis.call('ZADD', s.prefix .. '__idx:' .. f .. ':' .. v, kscore, id) end
  end
  remember(s, id)
end

-- A root row and its children, with every index entry of theirs.
local function remove_row(s, children, id)
  for _, c in ipairs(children) do
    local seqs = c.prefix .. id .. ':__seq'
    for _, seq in ipairs(redis.call('ZRANGE', seqs, 0, -1)) do
      local cid = id .. ':' .. seq
      unlink(c, cid)
      forget(c, cid)
      redis.call('DEL', c.prefix .. cid)
    end
    redis.call('DEL', seqs)
  end
  unlink(s, id)
  forget(s, id)
  redis.call('DEL', s.prefix .. id)
end

-- Take the rows Redis has expired (or is about to) out of their sorted sets.
local function purge(s)
  local expires = s.prefix .. '__expires'
  for _, id in ipairs(redis.call('ZRANGE', expires, '-inf', '(' .. now_ms(), 'BYSCORE')) do
    local ghost = s.prefix .. '__ghost:' .. id
    unlink(s, id, ghost)
    redis.call('DEL', ghost, s.prefix .. id)
    redis.call('ZREM', expires, id)
  end
end

local function hset(key, argv, i)
  local n = tonumber(argv[i])
  if n > 0 then redis.call('HSET', key, unpack(argv, i + 1, i + 2 * n)) end
  return i + 1 + 2 * n
end

-- Rows from argv[i]: their count, then per row: id, key score, field count and pairs,
-- and per child entity: the count of children, then per child: sequence, key score,
-- field count and pairs. A row already there is replaced, children and index entries too.
local function put_rows(s, children, argv, i, ttl)
  purge(s)
  for _, c in ipairs(children) do purge(c) end
  local at = nil
  if ttl then at = now_ms() + 1000 * tonumber(ttl) end
  local function expire(e, id, key)
    redis.call('PEXPIREAT', key, at)
    redis.call('ZADD', e.prefix .. '__expires', at, id)
  end
  local nrows = tonumber(argv[i])
  i = i + 1
  for _ = 1, nrows do
    local id, kscore = argv[i], argv[i + 1]
    local row = s.prefix .. id
    if redis.call('EXISTS', row) == 1 then remove_row(s, children, id) end
    i = hset(row, argv, i + 2)
    if at then expire(s, id, row) end
    link(s, id, kscore)
    for _, c in ipairs(children) do
      local seqs = c.prefix .. id .. ':__seq'
      local n = tonumber(argv[i])
      i = i + 1
      for _ = 1, n do
        local seq, ckscore = argv[i], argv[i + 1]
        local cid = id .. ':' .. seq
        redis.call('ZADD', seqs, seq, seq)
        i = hset(c.prefix .. cid, argv, i + 2)
        if at then expire(c, cid, c.prefix .. cid) end
        link(c, cid, ckscore)
      end
      if at and n > 0 then redis.call('PEXPIREAT', seqs, at) end
    end
  end
  return i
end
"""
