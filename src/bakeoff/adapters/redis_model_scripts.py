"""The Lua scripts of the Redis `hashes` data model (`redis_models`).

Every write and every read that needs a lookup before its fetch is one script: Redis runs
a script atomically, so a row and the sorted sets that index it never disagree, a
transaction checks its stocks and writes with nothing in between, and a read through an
index is one round trip that never sees a half-written row.

An entity is described to the scripts by its *structure* (`EntityLayout.structure`):
its key prefix (``orders:``), its numeric ordering field (or ''), its partition field
(or ''), then three lists, each its length followed by field names: the indexed fields,
the group fields and the total fields. From the hash of a row the scripts derive the
sorted sets it belongs to:

* ``<prefix>__all``: every row; score = the ordering field, or the row's key score when
  the entity has no numeric ordering;
* ``<prefix>__part:<partition value>``: the partition's rows, scored the same way;
* ``<prefix>__idx:<field>:<value>``: the rows with that value, score = the key score
  (so a find comes back ordered by key);
* ``<prefix>__rows:by:<group>``: per value of a group field, the count of rows, and
  ``<prefix>__sum:<total>:by:<group>``: per value, the sum of a total field (a value
  leaves both when its last row goes);
* ``<child prefix><parent key>:__seq``: a parent's children, member and score = the
  child's sequence number;
* ``<prefix>__expires`` and ``<prefix>__ghost:<id>``: rows written with a TTL, by the
  epoch ms they expire at, and the placing fields of each (`redis_model_lua.purge`).

Row keys are computed inside the scripts, not declared in KEYS: these scripts are for a
single Redis server, not a cluster.
"""

from __future__ import annotations

from typing import Final

from bakeoff.adapters.redis_model_lua import LIBRARY

PUT: Final = (
    LIBRARY
    + """
-- ARGV: ttl in seconds ('' for none), the structures (root, child count, children), rows.
local ttl = nil
if ARGV[1] ~= '' then ttl = ARGV[1] end
local s, children, i = structures(ARGV, 2)
put_rows(s, children, ARGV, i, ttl)
return 1
"""
)

DELETE: Final = (
    LIBRARY
    + """
-- ARGV: the structures, then the root row's id.
local s, children, i = structures(ARGV, 1)
purge(s)
for _, c in ipairs(children) do purge(c) end
remove_row(s, children, ARGV[i])
return 1
"""
)

SET_FIELDS: Final = (
    LIBRARY
    + """
-- ARGV: the structure, id, key score, '1' when a set field places the row in a sorted
-- set, the field compared ('' for none) and the value it must hold, the count of fields
-- set and their pairs, the count of fields removed and their names.
-- Returns 1 when the row was there (and held the value), 0 otherwise.
local s, i = structure(ARGV, 1)
local id, kscore, moves = ARGV[i], ARGV[i + 1], ARGV[i + 2] == '1'
local row = s.prefix .. id
if redis.call('EXISTS', row) == 0 then return 0 end
local field = ARGV[i + 3]
if field ~= '' and redis.call('HGET', row, field) ~= ARGV[i + 4] then return 0 end
if moves then unlink(s, id) end
i = hset(row, ARGV, i + 5)
local n = tonumber(ARGV[i])
if n > 0 then redis.call('HDEL', row, unpack(ARGV, i + 1, i + n)) end
if moves then link(s, id, kscore) end
return 1
"""
)

TRANSACTION: Final = (
    LIBRARY
    + """
-- ARGV: the stock entity's structure, its stock field, '1' when that field places a row
-- in a sorted set, the count of stock rows then (id, amount) pairs, then PUT's
-- structures and rows. Returns 0 (and writes nothing) when a stock is short or missing.
local st, i = structure(ARGV, 1)
local field, moves = ARGV[i], ARGV[i + 1] == '1'
local n = tonumber(ARGV[i + 2])
i = i + 3
for j = 0, n - 1 do
  local have = redis.call('HGET', st.prefix .. ARGV[i + 2 * j], field)
  if not have or tonumber(have) < tonumber(ARGV[i + 2 * j + 1]) then return 0 end
end
for j = 0, n - 1 do
  local id = ARGV[i + 2 * j]
  if moves then unlink(st, id) end
  redis.call('HINCRBY', st.prefix .. id, field, '-' .. ARGV[i + 2 * j + 1])
  if moves then link(st, id, id) end
end
local s, children
s, children, i = structures(ARGV, i + 2 * n)
put_rows(s, children, ARGV, i, nil)
return 1
"""
)

GET_WITH_CHILDREN: Final = """
-- ARGV: the root prefix, the row's id, each child entity's prefix. Returns the row's
-- HGETALL then, per child entity, its children's (ordered by sequence); {} when absent.
local id = ARGV[2]
local row = redis.call('HGETALL', ARGV[1] .. id)
if #row == 0 then return {} end
local out = {row}
for j = 3, #ARGV do
  local rows = {}
  for _, seq in ipairs(redis.call('ZRANGE', ARGV[j] .. id .. ':__seq', 0, -1)) do
    local r = redis.call('HGETALL', ARGV[j] .. id .. ':' .. seq)
    if #r > 0 then rows[#rows + 1] = r end
  end
  out[#out + 1] = rows
end
return out
"""

FETCH: Final = (
    LIBRARY
    + """
-- KEYS[1]: a sorted set of row ids. ARGV: the rows' structure, the score bounds (min, max),
-- '1' for descending, the limit (0: none), '1' to add every row tied with the last one
-- (the client breaks ties by key), a field the row must hold ('' for none) and its
-- value, then the fields to fetch (none: all; else the first is a key field, which every
-- row has). Rows that are gone (expired) or no longer match are skipped, and the scan
-- goes on until `limit` rows are found.
local s, i = structure(ARGV, 1)
purge(s)
local set, prefix = KEYS[1], s.prefix
local lo, hi, rev = ARGV[i], ARGV[i + 1], ARGV[i + 2] == '1'
local limit, ties = tonumber(ARGV[i + 3]), ARGV[i + 4] == '1'
local mfield, mvalue = ARGV[i + 5], ARGV[i + 6]
local fields = {}
for j = i + 7, #ARGV do fields[#fields + 1] = ARGV[j] end
local out, seen, last = {}, {}, nil

local function take(ids)
  for _, id in ipairs(ids) do
    if not seen[id] then
      seen[id] = true
      local row = prefix .. id
      if mfield == '' or redis.call('HGET', row, mfield) == mvalue then
        local r
        if #fields == 0 then
          r = redis.call('HGETALL', row)
          if #r == 0 then r = nil end
        else
          r = redis.call('HMGET', row, unpack(fields))
          if not r[1] then r = nil end
        end
        if r then
          out[#out + 1] = r
          last = id
        end
      end
    end
  end
end

local function range(offset, count)
  local args
  if rev then args = {set, hi, lo, 'BYSCORE', 'REV'} else args = {set, lo, hi, 'BYSCORE'} end
  if count then
    args[#args + 1] = 'LIMIT'
    args[#args + 1] = offset
    args[#args + 1] = count
  end
  return redis.call('ZRANGE', unpack(args))
end

if limit == 0 then
  take(range())
else
  local offset = 0
  while #out < limit do
    local ids = range(offset, limit - #out)
    if #ids == 0 then break end
    take(ids)
    offset = offset + #ids
  end
  if ties and last then
    local score = redis.call('ZSCORE', set, last)
    take(redis.call('ZRANGE', set, score, score, 'BYSCORE'))
  end
end
return out
"""
)

COUNT: Final = (
    LIBRARY
    + """
-- KEYS[1]: a sorted set of row ids. ARGV: the rows' structure, the score bounds.
local s, i = structure(ARGV, 1)
purge(s)
return redis.call('ZCOUNT', KEYS[1], ARGV[i], ARGV[i + 1])
"""
)

TOP: Final = (
    LIBRARY
    + """
-- KEYS[1]: a sorted set of groups scored by their value. ARGV: the rows' structure, '1'
-- for descending, the limit (0: every group). Returns member, score pairs, with every
-- member tied with the last one (the client breaks ties by group and cuts).
local s, i = structure(ARGV, 1)
purge(s)
local n = tonumber(ARGV[i + 1])
if n == 0 then return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES') end
local out
if ARGV[i] == '1' then
  out = redis.call('ZRANGE', KEYS[1], 0, n - 1, 'REV', 'WITHSCORES')
else
  out = redis.call('ZRANGE', KEYS[1], 0, n - 1, 'WITHSCORES')
end
if #out == 2 * n then
  local score = out[#out]
  local tied = redis.call('ZRANGE', KEYS[1], score, score, 'BYSCORE', 'WITHSCORES')
  for j = 1, #tied do out[#out + 1] = tied[j] end
end
return out
"""
)
