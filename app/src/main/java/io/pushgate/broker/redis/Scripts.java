package io.pushgate.broker.redis;

import java.util.List;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts. Each runs atomically in Redis, so a sequence number, its log entry and the
 * session hash it changes are never seen apart. Every key lives under one hash tag, so in Redis
 * Cluster they share a slot and the scripts may touch keys they compute from the prefix.
 */
final class Scripts {

    private Scripts() {
    }

    /**
     * Lua functions both append scripts start with, so the cluster log and each partition refuse, deduplicate
     * and answer by the same rules.
     * <ul>
     * <li>{@code lostData(seen, what)}: the error to return when KEYS[1] (the epoch) is not ARGV[1]
     * (PUSHGATE_EPOCH) or KEYS[2] (the sequence) is behind {@code seen} (PUSHGATE_BEHIND), else nothing;</li>
     * <li>{@code idempotent(prefix, v, index, refused)}: for an {@code M} value ({@code key, ts, sessions,
     * online, offline, then the m value}), when {@code {prefix}idem:<key>} exists, notes entry {@code index}
     * as a duplicate with the stored first answer in {@code refused} and returns nothing; otherwise returns
     * {@code 'm'}, the message's value, and the key with the answer to keep under it once it is numbered;</li>
     * <li>{@code answer(first, refused)}: the reply, the first number taken then the refusals.</li>
     * </ul>
     */
    private static final String APPENDING = """
            local function lostData(seen, what)
              if redis.call('GET', KEYS[1]) ~= ARGV[1] then
                return redis.error_reply('PUSHGATE_EPOCH the ' .. what .. ' epoch is gone: Redis lost its data')
              end
              if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(seen) then
                return redis.error_reply('PUSHGATE_BEHIND the ' .. what .. ' is behind what the node saw: Redis lost its data')
              end
              return nil
            end
            local function answer(first, refused)
              local out = {tostring(first or 0)}
              for _, x in ipairs(refused) do out[#out + 1] = x end
              return out
            end
            local function idempotent(prefix, v, index, refused)
              local key, meta, rest = string.match(v, '^([^\\31]*)\\31([^\\31]*\\31[^\\31]*\\31[^\\31]*\\31[^\\31]*)\\31(.*)$')
              local stored = redis.call('GET', prefix .. 'idem:' .. key)
              if stored then
                refused[#refused + 1] = index
                refused[#refused + 1] = 'd' .. stored
                return nil, v, nil
              end
              return 'm', rest, {prefix .. 'idem:' .. key, meta}
            end
            """;

    /**
     * KEYS: epoch, seq, log. ARGV: epoch, max log length, key prefix, groups per uid, uids with memberships,
     * idempotency window ms, the sequence number of the last entry the node applied, then kind/value pairs.
     * Appends each entry under the next sequence number and keeps the node session hashes and uid
     * memberships in step. Refuses when Redis lost data, so the node resyncs first; nothing is written then:
     * PUSHGATE_EPOCH when the epoch is gone, PUSHGATE_BEHIND when the sequence is behind what the node
     * applied (a replica that lagged was promoted, maybe behind a connection that never dropped: numbers
     * taken now would repeat ones the nodes applied with another meaning, and be skipped).
     *
     * <p>The {@code uidgroups} hash is bounded here, atomically for the whole cluster: a {@code J} entry
     * that would give a uid more groups than allowed, or add a uid when the hash already holds the maximum,
     * is logged as {@code R} (refused: every node skips it, and the sequence has no gap) and the hash is
     * left alone.
     *
     * <p>An {@code M} entry is a message with an idempotency key: {@code key, ts, sessions, online, offline,
     * then the m value}. When {@code {prefix}:idem:<key>} exists, the message was published within the
     * window: nothing is appended and no number is taken, the stored first answer is returned instead.
     * Otherwise it is appended as {@code m} and the key is set (for the window) to {@code epoch, seq, ts,
     * sessions, online, offline}, in the same atomic call, so a key is delivered once cluster-wide.
     *
     * <p>Returns {first sequence number taken (0 when none), then for each refused or duplicate entry its
     * index in the call and {@code g} (groups per uid), {@code u} (uids) or {@code d} followed by the first
     * answer}, all as strings; the entries that took numbers took consecutive ones, in order.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final RedisScript<List> APPEND = RedisScript.of(APPENDING + """
            local lost = lostData(ARGV[7], 'cluster log')
            if lost then return lost end
            local prefix = ARGV[3]
            local maxGroups, maxUids = tonumber(ARGV[4]), tonumber(ARGV[5])
            local window = ARGV[6]
            local first = nil
            local refused = {}
            for i = 8, #ARGV, 2 do
              local kind, v = ARGV[i], ARGV[i + 1]
              local index = tostring((i - 8) / 2)
              local idem = nil
              local skip = false
              if kind == 'M' then
                kind, v, idem = idempotent(prefix, v, index, refused)
                skip = kind == nil
              end
              if kind == 'J' then
                local uid, all = string.match(v, '^[^\\31]*\\31([^\\31]*)\\31[^\\31]*\\31(.*)$')
                local count = 0
                for _ in string.gmatch(all, '[^\\30]+') do count = count + 1 end
                local why = nil
                if count > maxGroups then
                  why = 'g'
                elseif redis.call('HEXISTS', prefix .. 'uidgroups', uid) == 0
                    and redis.call('HLEN', prefix .. 'uidgroups') >= maxUids then
                  why = 'u'
                end
                if why then
                  kind = 'R'
                  refused[#refused + 1] = index
                  refused[#refused + 1] = why
                end
              end
              if not skip then
                local seq = redis.call('INCR', KEYS[2])
                if not first then first = seq end
                redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'k', kind, 'v', v)
                if idem then
                  redis.call('SET', idem[1], ARGV[1] .. '\\31' .. seq .. '\\31' .. idem[2], 'PX', window)
                end
                if kind == 'c' then
                  local n, cid, state = string.match(v, '^([^\\31]*)\\31([^\\31]*)\\31(.*)$')
                  redis.call('HSET', prefix .. 's:' .. n, cid, state)
                elseif kind == 'd' then
                  local n, cid = string.match(v, '^([^\\31]*)\\31(.*)$')
                  redis.call('HDEL', prefix .. 's:' .. n, cid)
                elseif kind == 'D' then
                  local n, cid, state = string.match(v, '^([^\\31]*)\\31([^\\31]*)\\31(.*)$')
                  if redis.call('HEXISTS', prefix .. 's:' .. n, cid) == 1 then
                    redis.call('HSET', prefix .. 's:' .. n, cid, state)
                  end
                elseif kind == 'j' or kind == 'l' then
                  local n, cid, state = string.match(v, '^([^\\31]*)\\31([^\\31]*)\\31[^\\31]*\\31(.*)$')
                  if redis.call('HEXISTS', prefix .. 's:' .. n, cid) == 1 then
                    redis.call('HSET', prefix .. 's:' .. n, cid, state)
                  end
                elseif kind == 'x' then
                  redis.call('DEL', prefix .. 's:' .. v)
                elseif kind == 'y' then
                  redis.call('DEL', prefix .. 's:' .. string.match(v, '^([^\\31]*)'))
                elseif kind == 'N' then
                  local uid, untilMs = string.match(v, '^([^\\31]*)\\31(.*)$')
                  redis.call('HSET', prefix .. 'bans', uid, untilMs)
                elseif kind == 's' then
                  local n, records = string.match(v, '^([^\\31]*)\\31(.*)$')
                  for record in string.gmatch(records, '[^\\29]+') do
                    local cid, state = string.match(record, '^([^\\31]*)\\31(.*)$')
                    redis.call('HSET', prefix .. 's:' .. n, cid, state)
                  end
                elseif kind == 'J' or kind == 'L' then
                  local uid, all = string.match(v, '^[^\\31]*\\31([^\\31]*)\\31[^\\31]*\\31(.*)$')
                  if all == '' then
                    redis.call('HDEL', prefix .. 'uidgroups', uid)
                  else
                    redis.call('HSET', prefix .. 'uidgroups', uid, all)
                  end
                end
              end
            end
            return answer(first, refused)
            """, List.class);

    /**
     * KEYS: epoch, seq, base. ARGV: the epoch this node holds, the sequence number it has reached, a fresh
     * epoch it proposes, and optionally {@code 1} to start it even though the sequence is not behind (a
     * partition whose numbers a node saw used twice: Redis went back, and others numbered on since). Keeps
     * an existing epoch, unless Redis lost data: the epoch key is gone (Redis
     * restarted empty, or was flushed) or the sequence is behind what this node has already applied (Redis
     * came back from an older snapshot). Then it starts the proposed epoch, numbered on from past anything
     * this node has seen, and records that number as the epoch's base: nodes adopting the epoch read the log
     * from there, and every cursor of the old epoch is answered with a reset, so no sequence number is
     * ever used with two meanings. Returns {epoch, seq, base}.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final RedisScript<List> INIT = RedisScript.of("""
            local epoch = redis.call('GET', KEYS[1])
            local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
            local seen = tonumber(ARGV[2])
            if not epoch or (epoch == ARGV[1] and (seq < seen or ARGV[4] == '1')) then
              if seq < seen then
                seq = seen
                redis.call('SET', KEYS[2], seq)
              end
              epoch = ARGV[3]
              redis.call('SET', KEYS[1], epoch)
              redis.call('SET', KEYS[3], seq)
            end
            return {epoch, tostring(seq), redis.call('GET', KEYS[3]) or '0'}
            """, List.class);

    /**
     * KEYS: epoch, nodes (sorted set: node by expiry time), stats, seq, log. ARGV: epoch, node, node
     * timeout ms, this node's stats, key prefix, max log length, the sequence number of the last entry the
     * node applied. Marks the node alive, stores its
     * stats, and reaps nodes whose time ran out: their session hash goes and a {@code x} entry naming this node as the reaper tells
     * every node. Returns {"epoch"} when Redis lost the epoch, {"behind"} when its sequence is behind what
     * the node applied (both: Redis lost data, nothing is written), else {"new"|"known", then node, stats...}:
     * "new" when this node was not registered (first beat, or it was reaped and must restate).
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final RedisScript<List> HEARTBEAT = RedisScript.of("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then
              return {'epoch'}
            end
            if tonumber(redis.call('GET', KEYS[4]) or '0') < tonumber(ARGV[7]) then
              return {'behind'}
            end
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local added = redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
            redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
            local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
            for _, n in ipairs(dead) do
              redis.call('ZREM', KEYS[2], n)
              redis.call('DEL', ARGV[5] .. 's:' .. n)
              redis.call('HDEL', KEYS[3], n)
              local seq = redis.call('INCR', KEYS[4])
              redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], seq .. '-0', 'k', 'x', 'v', n .. '\\31' .. ARGV[2])
            end
            local out = {added == 1 and 'new' or 'known'}
            for _, x in ipairs(redis.call('HGETALL', KEYS[3])) do
              out[#out + 1] = x
            end
            return out
            """, List.class);

    /**
     * The partitioned log's append (see {@code docs/partitioned-log.md}). KEYS: the partition's epoch, seq,
     * log, holders. ARGV: epoch, max log length, the partition's key prefix, idempotency window ms, the
     * highest sequence number of the partition this node has received, the publish command ({@code SPUBLISH}
     * on Redis Cluster, where a script may publish on channels of its own slot, else {@code PUBLISH}), the
     * most messages held per uid, the most uids the partition holds messages for, then
     * kind/channels/value triples. Channels are separated by {@code \\30} and named relative to the prefix;
     * an item {@code +<ttl ms>:<uid>} is no channel but a uid that was offline, to hold the entry for.
     *
     * <p>Refuses as {@link #APPEND} does when the partition lost data (PUSHGATE_EPOCH, PUSHGATE_BEHIND):
     * nothing is written then. Otherwise each entry takes the partition's next number, goes into its
     * stream with its epoch and channels (fields {@code e}, {@code c}: a node recovering after a lost pub/sub
     * connection reads only its own), and is published on each channel as {@code epoch \\31 seq \\31 kind
     * \\31 value}, in the same
     * atomic call: a subscriber sees the partition's entries in its order, and one that missed some finds
     * them in the stream. {@code M} entries are idempotent messages, as in {@link #APPEND}, with the key in
     * the partition, so a publish that spans partitions is delivered once per partition when retried.
     *
     * <p><b>Holds.</b> A held entry goes to the list {@code hold:<uid>} (the newest {@code max per uid} kept,
     * the list expiring with the longest ttl in it), and the uid into the holders sorted set, scored by that
     * expiry. Expired holders leave the set here; past {@code max uids}, the holders whose holds end soonest
     * lose them. So what a partition holds is bounded whatever the backend sends; {@link #TAKE_HELD} takes a
     * uid's holds once, cluster-wide.
     *
     * <p>Returns {first sequence number taken (0 when none), then for each duplicate its index and
     * {@code d} followed by the first answer}, all as strings.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final RedisScript<List> PARTITION_APPEND = RedisScript.of(APPENDING + """
            local lost = lostData(ARGV[5], 'partition')
            if lost then return lost end
            local prefix, window, publish = ARGV[3], ARGV[4], ARGV[6]
            local perUid, maxUids = tonumber(ARGV[7]), tonumber(ARGV[8])
            local now = nil
            local first = nil
            local refused = {}
            for i = 9, #ARGV, 3 do
              local kind, channels, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]
              local skip = false
              local idem = nil
              if kind == 'M' then
                kind, v, idem = idempotent(prefix, v, tostring((i - 9) / 3), refused)
                skip = kind == nil
              end
              if not skip then
                local seq = redis.call('INCR', KEYS[2])
                if not first then first = seq end
                redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', ARGV[1], 'k', kind, 'c', channels, 'v', v)
                if idem then
                  redis.call('SET', idem[1], ARGV[1] .. '\\31' .. seq .. '\\31' .. idem[2], 'PX', window)
                end
                local payload = ARGV[1] .. '\\31' .. seq .. '\\31' .. kind .. '\\31' .. v
                for channel in string.gmatch(channels, '[^\\30]+') do
                  if string.sub(channel, 1, 1) == '+' then
                    local ttl, uid = string.match(channel, '^%+(%d+):(.*)$')
                    if not now then
                      local t = redis.call('TIME')
                      now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
                      redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
                    end
                    local list = prefix .. 'hold:' .. uid
                    redis.call('RPUSH', list, payload)
                    redis.call('LTRIM', list, -perUid, -1)
                    local untilMs = now + tonumber(ttl)
                    local held = tonumber(redis.call('ZSCORE', KEYS[4], uid) or '0')
                    if untilMs > held then
                      redis.call('PEXPIREAT', list, untilMs)
                      redis.call('ZADD', KEYS[4], untilMs, uid)
                    end
                    local over = redis.call('ZCARD', KEYS[4]) - maxUids
                    if over > 0 then
                      for idx, gone in ipairs(redis.call('ZPOPMIN', KEYS[4], over)) do
                        if idx % 2 == 1 then redis.call('DEL', prefix .. 'hold:' .. gone) end
                      end
                    end
                  else
                    redis.call(publish, prefix .. channel, payload)
                  end
                end
              end
            end
            return answer(first, refused)
            """, List.class);

    /**
     * KEYS: the uid's hold list, the partition's holders. ARGV: uid. Takes the entries held for the uid
     * (each {@code epoch \\31 seq \\31 kind \\31 value}, oldest first) and forgets them, in one step: the node where the
     * uid's first session connects delivers them, and no other node can take them again.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static final RedisScript<List> TAKE_HELD = RedisScript.of("""
            local held = redis.call('LRANGE', KEYS[1], 0, -1)
            redis.call('DEL', KEYS[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            return held
            """, List.class);

    /** KEYS: nodes, stats. ARGV: node, key prefix. A node stopping cleanly: it leaves at once. */
    static final RedisScript<Long> LEAVE = RedisScript.of("""
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[2], ARGV[1])
            return redis.call('DEL', ARGV[2] .. 's:' .. ARGV[1])
            """, Long.class);
}
