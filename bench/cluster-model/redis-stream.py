#!/usr/bin/env python3
"""One Redis stream as pushgate's cluster log uses it, on a redis-server of its own (REDIS_PORT, 16379; pinned
to REDIS_CPU, 0; the benchmark client to CLIENT_CPU, 1):

  append: the append script (Scripts.APPEND, read from the source) called by redis-benchmark with BATCH 'm'
          entries of 244 bytes per call, from CLIENTS connections with one call in flight each, as LogAppender
          calls it (one call in flight per node): entries/s and Redis's CPU per entry, from /proc;
  read:   XREAD COUNT n of those entries from 3 and 50 connections: Redis's CPU per call and per entry.

Three runs of each. Run from the repository's root: python3 bench/cluster-model/redis-stream.py [append] [read]
"""
import os
import re
import subprocess
import sys
import tempfile
import time

PORT = int(os.environ.get('REDIS_PORT', '16379'))
REDIS_CPU = os.environ.get('REDIS_CPU', '0')
CLIENT_CPU = os.environ.get('CLIENT_CPU', '1')
SOURCE = 'app/src/main/java/io/pushgate/broker/redis/Scripts.java'
# the Lua text of APPEND (the shared APPENDING functions, then its own text), with the Java text block's escapes undone
_JAVA = open(SOURCE).read()
LUA = (re.search(r'APPENDING = """\n(.*?)""";', _JAVA, re.S).group(1)
       + re.search(r' APPEND = RedisScript.of\(APPENDING \+ """\n(.*?)""", List.class\)', _JAVA, re.S).group(1)
       ).replace('\\\\', '\\')
# an m entry as the log holds it (ts, then the publication's JSON); the script does not parse an m value
VALUE = '1765000000000|{"to":{"uids":["u123456"]},"event":"bench","data":{"t":1765000000000123,"p":"' + 'x' * 150 + '"}}'


def main():
    workdir = tempfile.mkdtemp(prefix='pushgate-redis-stream-')
    server = subprocess.Popen(['taskset', '-c', REDIS_CPU, 'redis-server', '--port', str(PORT), '--bind', '127.0.0.1',
                               '--save', '', '--appendonly', 'no', '--dir', workdir], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if cli('ping') == 'PONG':
                break
            time.sleep(0.1)
        parts = sys.argv[1:] or ['append', 'read']
        if 'append' in parts:
            append(server)
        if 'read' in parts:
            read(server)
    finally:
        server.terminate()
        server.wait()


def cli(*args, stdin=None):
    return subprocess.run(['redis-cli', '-p', str(PORT)] + list(args), input=stdin, capture_output=True, text=True).stdout.strip()


def cpu_seconds(server):
    fields = open(f'/proc/{server.pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def bench(server, clients, calls, command):
    c0, t0 = cpu_seconds(server), time.time()
    subprocess.run(['taskset', '-c', CLIENT_CPU, 'redis-benchmark', '-p', str(PORT), '-c', str(clients), '-n', str(calls),
                    '-q'] + command, capture_output=True, text=True, check=True)
    return time.time() - t0, cpu_seconds(server) - c0


def append(server):
    sha = cli('script', 'load', LUA)
    print(f'append: {len(VALUE)}-byte m entries', flush=True)
    for batch in (1, 10, 100, 512):
        for clients in (1, 3, 50):
            for run in (1, 2, 3):
                cli('flushall')
                cli('set', '{pushgate}:epoch', 'e1')
                cli('set', '{pushgate}:seq', '0')
                calls = max(2000, min(200000, 400000 // batch))
                # KEYS epoch, seq, log; ARGV epoch, log length, prefix, groups per uid, uids, idempotency ms, applied
                command = ['EVALSHA', sha, '3', '{pushgate}:epoch', '{pushgate}:seq', '{pushgate}:log', 'e1', '200000',
                           '{pushgate}:', '100', '100000', '600000', '0'] + ['m', VALUE] * batch
                seconds, cpu = bench(server, clients, calls, command)
                entries = int(cli('get', '{pushgate}:seq'))
                if entries != calls * batch:
                    sys.exit(f'the script appended {entries} entries, not {calls * batch}')
                print(f'batch={batch} clients={clients} run={run} entries/s={entries / seconds:.0f} '
                      f'redis_cpu={100 * cpu / seconds:.0f}% redis_us_per_entry={1e6 * cpu / entries:.2f}', flush=True)


def read(server):
    cli('flushall')
    # redis-cli reads these lines as it reads typed commands: a value without quotes or spaces, of VALUE's size
    filler = 'x' * len(VALUE)
    cli(stdin=''.join(f'XADD {{pushgate}}:log {i}-0 k m v {filler}\n' for i in range(1, 20001)))
    if cli('xlen', '{pushgate}:log') != '20000':
        sys.exit('the stream to read was not filled')
    print(f'read: a stream of {cli("xlen", "{pushgate}:log")} entries', flush=True)
    for count in (1, 10, 100, 1000):
        for clients in (3, 50):
            for run in (1, 2, 3):
                calls = 100000 if count <= 10 else 20000 if count == 100 else 3000
                seconds, cpu = bench(server, clients, calls, ['XREAD', 'COUNT', str(count), 'STREAMS', '{pushgate}:log', '5000-0'])
                print(f'count={count} clients={clients} run={run} reads/s={calls / seconds:.0f} '
                      f'redis_cpu={100 * cpu / seconds:.0f}% redis_us_per_call={1e6 * cpu / calls:.1f} '
                      f'redis_us_per_entry={1e6 * cpu / calls / count:.2f}', flush=True)


if __name__ == '__main__':
    main()
