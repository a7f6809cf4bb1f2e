#!/usr/bin/env bash
# Runs one load scenario against a fresh server: the server pinned to one core, the generator to the other.
#
#   bench/run.sh SCENARIO [generator options...]     SCENARIO: idle | uid | group | broadcast | churn | talk | soak
#
# Extra options go to the generator and override the scenario defaults below, for example
#   bench/run.sh uid --batch 100 --duration 60
#   bench/run.sh broadcast --transport sse
#   bench/run.sh broadcast --connections 1000 --rate 100 --protocol pusher   # Pusher clients on channel bench-all
#   bench/run.sh broadcast --connections 1000 --rate 100 --channel bench-all # the same broadcast to /ws clients
#   bench/run.sh soak --plot docs/soak.png              # 30 minutes (SOAK_MINUTES), samples every minute, 5 settling
#   # a 3-minute check: a 30 s history window fills before the 1-minute settle period ends
#   SERVER_OPTS=--pushgate.history.window=30s bench/run.sh soak --duration 180 --sample-interval 20 --settle 60 --history-window 30
# Environment: PORT (18080), SERVER_CPU (0), GEN_CPU (1), SERVER_HEAP (1g), GEN_HEAP (2g),
#   GENERATORS (1; 2 splits --connections over two generator processes, for more than ~19,900),
#   SERVER_OPTS (extra server arguments), SERVER_JVM_OPTS (extra JVM options, e.g. a JFR recording),
#   SOAK_MINUTES (30: the soak's --duration in minutes; its server gets SERVER_HEAP 512m by default and
#   -XX:+AlwaysPreTouch, so that its RSS starts with the whole heap resident and growth is what it keeps),
#   SERVER_JAR (app/target/pushgate.jar: the server to run, e.g. an older build to compare with),
#   SERVER_JAVA (java: the server's JVM, e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java; the
#   generator runs on the default java and reads the server's heap with the server JDK's jcmd),
#   LOG_DIR (bench/target), RUNS (a file: runs the generator once per line against the same servers, the
#   line's options added to the command line's, e.g. a long --warmup on the first line and short ones after),
#   BROKER (memory; redis starts a redis-server on REDIS_PORT, 16379, pinned to REDIS_CPU, GEN_CPU by
#   default, and runs the nodes with pushgate.broker=redis), NODES (1; more starts that many nodes on
#   PORT, PORT+1, ... all pinned to SERVER_CPU, implies BROKER=redis; sessions and publishes go
#   round-robin over the nodes). With Redis, the Redis calls per publish are printed at the end (and a
#   partitioned log's entries in its partition streams), and
#   the generator reports each node's and Redis's CPU over the measured window (cpu_n0_pct,
#   cpu_n0_us_per_publish, ..., cpu_redis_pct: its --cpu-pids). The generator option --session-nodes K
#   puts every session on the first K nodes while publishes still go to all of them, e.g. every session
#   on n0 and the uid publishes through n0, n1 and n2, to see what nodes that host none of the targets
#   spend on the cluster log (the nodes share SERVER_CPU's core, so keep the rate below what fills it):
#   NODES=3 bench/run.sh uid --session-nodes 1 --rate 4000
#   EVENTS (0; 1 starts an event sink, bench's EventSink, on 127.0.0.1:SINK_PORT, 18090, pinned to
#   GEN_CPU, and runs the nodes with pushgate.events.url pointing at it and a bench-only
#   pushgate.events.secret; the generator reports the events it counted in the measured window as
#   sink_*, and the sink's totals and any "Backend events" warnings of the servers are printed at the
#   end). Events are per connect (churn: connect, online, disconnect, offline) and per client message
#   (talk: each send frame is a message event; without EVENTS its reply is the error no_backend), e.g.
#   EVENTS=1 bench/run.sh talk       EVENTS=1 bench/run.sh churn
#   PUSHER (0; 1, and implied by the generator option --protocol pusher or --publish-via pusher, runs the
#   nodes with pushgate.compat.pusher.enabled and a bench-only app id, key and secret, which the generator
#   is given too: its Pusher clients connect to /app/<key>, --publish-via pusher signs with the secret)
# Build first: ./mvnw -q -DskipTests package
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-}
scenario_server_opts=()
case "$scenario" in
  idle)      defaults=(--connections 19000 --duration 60 --source-ips 4 --connect-concurrency 500 --server-gc true) ;;
  uid)       defaults=(--connections 10000 --warmup 10 --duration 30 --inflight 32) ;;
  group)     defaults=(--connections 10000 --group-size 100 --warmup 10 --duration 30 --inflight 32) ;;
  broadcast) defaults=(--connections 10000 --rate 20 --warmup 5 --duration 30 --inflight 4) ;;
  churn)     defaults=(--connections 5000 --rate 2000 --churn-rate 200 --churn-life 2000 --warmup 5 --duration 30) ;;
  # client send frames (backend message events): 10 a second from each of 2,000 sessions, nothing published.
  # Events on, about half of the server core once warm; the JIT takes most of the core for the first
  # 30 s or so (and the queue drops events then), hence the 60 s warm-up.
  talk)      defaults=(--connections 2000 --rate 20000 --warmup 60 --duration 20)
             [[ ${SERVER_OPTS:-} == *max-bad-frames* ]] || scenario_server_opts=(--pushgate.ws.max-bad-frames=2000000000) ;;
  # about half of the server's core (50 % measured at 1,822 of these 2,075 publishes/s): 5,000 steady
  # sessions in groups of 100, 2,000 uid publishes/s, 20 group and 5 broadcast publishes/s, 10 slow readers
  # (25/s of 8 KiB to one, 25/s to their group), 50 churned sessions/s living 5 s, 10 drops/s resuming by
  # cursor, 2 offline uids/s with ttl messages. One generator (GENERATORS is ignored).
  soak)      defaults=(--connections 5000 --group-size 100 --rate 2000 --group-rate 20 --broadcast-rate 5
                       --churn-rate 50 --churn-life 5000 --reconnect-rate 10 --away-max 5000 --slow-readers 10
                       --slow-readers-rate 25 --ttl-rate 2 --duration $(( ${SOAK_MINUTES:-30} * 60 )) --source-ips 4
                       --drain 15 --inflight 64 --connect-timeout 30000) ;;
  *) echo "usage: $0 idle|uid|group|broadcast|churn|talk|soak [generator options...]" >&2; exit 2 ;;
esac
shift

PORT=${PORT:-18080}
SERVER_JAVA=$(command -v "${SERVER_JAVA:-java}")
GEN_JAVA=$(command -v java)
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
if [[ $scenario == soak ]]; then
  SERVER_HEAP=${SERVER_HEAP:-512m}
  SERVER_JVM_OPTS="-XX:+AlwaysPreTouch ${SERVER_JVM_OPTS:-}"
else
  SERVER_HEAP=${SERVER_HEAP:-1g}
fi
GEN_HEAP=${GEN_HEAP:-2g}
GENERATORS=${GENERATORS:-1}
LOG_DIR=${LOG_DIR:-bench/target}
# fixed bench-only secrets: the server is bound to this run and stopped at the end
JWT_SECRET=bench-jwt-secret-not-for-production-0123456789
API_KEY=bench-api-key-0123456789abcdef
SERVER_JAR=${SERVER_JAR:-app/target/pushgate.jar}
BENCH_JAR=bench/target/pushgate-bench.jar
for jar in "$SERVER_JAR" "$BENCH_JAR"; do
  [[ -f $jar ]] || { echo "$jar is missing: build with ./mvnw -q -DskipTests package" >&2; exit 1; }
done

# each connection is one file descriptor on both sides: take the hard limit as the soft one
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)" >&2

NODES=${NODES:-1}
BROKER=${BROKER:-memory}
[[ $NODES -gt 1 ]] && BROKER=redis
REDIS_PORT=${REDIS_PORT:-16379}
REDIS_CPU=${REDIS_CPU:-$GEN_CPU}
EVENTS=${EVENTS:-0}
SINK_PORT=${SINK_PORT:-18090}
# bench-only, like the secrets above: the sink does not check signatures
EVENTS_SECRET=bench-events-secret-0123456789ab

# Pusher's protocol, when the generator's options ask for it: bench-only app, like the secrets above
PUSHER=${PUSHER:-0}
gen_args=("${defaults[@]}" "$@")
for ((i = 0; i < ${#gen_args[@]}; i++)); do
  case "${gen_args[i]}" in
    --protocol=pusher | --publish-via=pusher) PUSHER=1 ;;
    --protocol | --publish-via) [[ ${gen_args[i + 1]:-} == pusher ]] && PUSHER=1 ;;
  esac
done
PUSHER_APP_ID=4242
PUSHER_KEY=bench-pusher-key
PUSHER_SECRET=bench-pusher-secret-0123456789abcdef
pusher_server_opts=()
pusher_args=()
if [[ $PUSHER == 1 ]]; then
  pusher_server_opts=(--pushgate.compat.pusher.enabled=true --pushgate.compat.pusher.app-id="$PUSHER_APP_ID"
                      --pushgate.compat.pusher.key="$PUSHER_KEY" --pushgate.compat.pusher.secret="$PUSHER_SECRET")
  pusher_args=(--pusher-app-id "$PUSHER_APP_ID" --pusher-key "$PUSHER_KEY" --pusher-secret "$PUSHER_SECRET")
fi

mkdir -p "$LOG_DIR"
server_pids=()
redis_pid=""
sink_pid=""
stop_server() {
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n $redis_pid ]]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    # the next run's redis-server needs the port: a run started at once found this one still answering
    for _ in $(seq 1 100); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [[ -n $sink_pid ]]; then
    kill -TERM "$sink_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$sink_pid" 2>/dev/null || break; sleep 0.1; done
  fi
}
trap stop_server EXIT

broker_opts=()
if [[ $BROKER == redis ]]; then
  command -v redis-server >/dev/null || { echo "BROKER=redis needs redis-server (apt-get install redis-server)" >&2; exit 1; }
  taskset -c "$REDIS_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    >"$LOG_DIR/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  broker_opts=(--pushgate.broker=redis --spring.data.redis.port="$REDIS_PORT")
fi

events_opts=()
if [[ $EVENTS == 1 ]]; then
  if (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then
    echo "port $SINK_PORT is in use (another bench run's event sink?); set SINK_PORT to run beside it" >&2
    exit 1
  fi
  taskset -c "$GEN_CPU" "$GEN_JAVA" -Xms64m -Xmx64m -XX:+UseSerialGC -cp "$BENCH_JAR" \
    io.pushgate.bench.EventSink --host 127.0.0.1 --port "$SINK_PORT" >"$LOG_DIR/sink-$scenario.log" 2>&1 &
  sink_pid=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$SINK_PORT/count" && break; sleep 0.1; done
  curl -fs -o /dev/null "http://127.0.0.1:$SINK_PORT/count" || { echo "event sink did not start, see $LOG_DIR/sink-$scenario.log" >&2; exit 1; }
  events_opts=(--pushgate.events.url="http://127.0.0.1:$SINK_PORT/events" --pushgate.events.secret="$EVENTS_SECRET")
  echo "event sink pid $sink_pid on 127.0.0.1:$SINK_PORT" >&2
fi

# a server left from another run would answer in place of this one's, which could not bind
for ((n = 0; n < NODES; n++)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$((PORT + n))") 2>/dev/null; then
    echo "port $((PORT + n)) is in use (another bench run?); set PORT to run beside it" >&2
    exit 1
  fi
done

ws_urls=""
api_urls=""
for ((n = 0; n < NODES; n++)); do
  port=$((PORT + n))
  server_log="$LOG_DIR/server-$scenario-$n.log"
  # shellcheck disable=SC2086
  taskset -c "$SERVER_CPU" "$SERVER_JAVA" -Xms"$SERVER_HEAP" -Xmx"$SERVER_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=50 \
    -Dreactor.netty.ioWorkerCount=1 ${SERVER_JVM_OPTS:-} \
    -jar "$SERVER_JAR" --server.port="$port" --management.server.port=0 --pushgate.node.id="n$n" "${broker_opts[@]}" \
    "${events_opts[@]}" "${scenario_server_opts[@]}" "${pusher_server_opts[@]}" \
    --pushgate.auth.jwt-secret="$JWT_SECRET" --pushgate.api.keys="$API_KEY" \
    --pushgate.session.max-per-uid=100 --logging.level.root=WARN ${SERVER_OPTS:-} >"$server_log" 2>&1 &
  server_pids+=($!)
  ws_urls+="${ws_urls:+,}ws://127.0.0.1:$port"
  api_urls+="${api_urls:+,}http://127.0.0.1:$port"
done
server_pid=${server_pids[0]}

for ((n = 0; n < NODES; n++)); do
  for _ in $(seq 1 240); do
    if curl -fs -o /dev/null -H "Authorization: Bearer $API_KEY" "http://127.0.0.1:$((PORT + n))/api/v1/stats"; then break; fi
    kill -0 "${server_pids[n]}" 2>/dev/null || { echo "server exited, see $LOG_DIR/server-$scenario-$n.log" >&2; exit 1; }
    sleep 0.5
  done
done
echo "server pids ${server_pids[*]} on ports $PORT.. (broker $BROKER, logs: $LOG_DIR/server-$scenario-*.log)" >&2
[[ $BROKER == redis ]] && redis-cli -p "$REDIS_PORT" config resetstat >/dev/null

redis_report() { # Redis calls per publish: one EVALSHA appends a batch of publishes, XREAD reads them on each node
  [[ $BROKER == redis ]] || return 0
  local stats published
  stats=$(redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | grep -E 'cmdstat_(evalsha|eval|xread|xadd|incr|xrange|hgetall|publish|subscribe|unsubscribe):' || true)
  published=$(redis-cli -p "$REDIS_PORT" xlen "{pushgate}:log")
  # a partitioned log (pushgate.redis.partitions above 1): the messages are in the partitions' streams
  local key partitioned=0 streams=0
  for key in $(redis-cli -p "$REDIS_PORT" --scan --pattern '{pushgate:*}:log'); do
    partitioned=$((partitioned + $(redis-cli -p "$REDIS_PORT" xlen "$key"))); streams=$((streams + 1))
  done
  [[ $streams -gt 0 ]] && published+=" (control log), $partitioned in $streams partition streams"
  echo "redis: log entries $published; $(echo "$stats" | sed -E 's/cmdstat_([a-z]+):calls=([0-9]+),usec=([0-9]+).*/\1 calls=\2 usec=\3/' | paste -sd ';' -)" >&2
}

events_report() { # what the sink received in all (the connect phase included), and the servers' complaints
  [[ $EVENTS == 1 ]] || return 0
  sleep 1 # the last batches are on their way
  echo "event sink: $(curl -fs "http://127.0.0.1:$SINK_PORT/count" || echo 'no answer')" >&2
  # its own CPU time (utime + stime), on GEN_CPU beside the generator
  echo "event sink CPU: $(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f s", ($14 + $15) / hz}' "/proc/$sink_pid/stat" 2>/dev/null)" >&2
  local pid port
  for pid in "${server_pids[@]}"; do # the management port is the one of the server's ports that is not /api's
    for port in $(ss -ltnpH 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://' | sort -u); do
      curl -fs "http://127.0.0.1:$port/actuator/prometheus" 2>/dev/null | grep -E '^pushgate_events_(sent|dropped|failures)_total' \
        | sed "s/^/server pid $pid: /" >&2 || true
    done
  done
  grep -h "Backend events" "$LOG_DIR"/server-"$scenario"-*.log | head -5 >&2 || true
}

# with Redis: every node's and Redis's CPU over the measured window, by name (n0, n1, ..., redis)
cpu_args=()
if [[ $BROKER == redis ]]; then
  cpu_pids=""
  for ((n = 0; n < NODES; n++)); do cpu_pids+="${cpu_pids:+,}n$n=${server_pids[n]}"; done
  cpu_args=(--cpu-pids "$cpu_pids,redis=$redis_pid")
fi

sink_args=()
[[ $EVENTS == 1 ]] && sink_args=(--sink-url "http://127.0.0.1:$SINK_PORT")

generator() { # generator N-of-GENERATORS, extra args
  PATH="$(dirname "$SERVER_JAVA"):$PATH" taskset -c "$GEN_CPU" "$GEN_JAVA" -Xms"$GEN_HEAP" -Xmx"$GEN_HEAP" -XX:+UseParallelGC -Djava.awt.headless=true -jar "$BENCH_JAR" \
    --scenario "$scenario" --ws-url "$ws_urls" --api-url "$api_urls" \
    --jwt-secret "$JWT_SECRET" --api-key "$API_KEY" --server-pid "$server_pid" "${cpu_args[@]}" "${sink_args[@]}" "${pusher_args[@]}" "${defaults[@]}" "$@"
}

if [[ -n ${RUNS:-} ]]; then
  # one generator run per line of the RUNS file (its options after the command line's), against the same
  # warm servers: a JIT that has finished stays finished (three nodes on one core take ~2 minutes)
  status=0
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    read -ra run_args <<<"$line"
    echo "run: ${run_args[*]}" >&2
    [[ $BROKER == redis ]] && redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
    generator "$@" "${run_args[@]}" || status=$?
    redis_report
  done <"$RUNS"
  exit $status
elif [[ $GENERATORS -le 1 || $scenario == soak ]]; then
  status=0
  generator "$@" || status=$?
  redis_report
  events_report
  exit $status
else
  # split --connections (last value wins, as in the generator) over GENERATORS processes with distinct uids
  total=19000
  args=("${defaults[@]}" "$@")
  for ((i = 0; i < ${#args[@]}; i++)); do [[ ${args[i]} == --connections ]] && total=${args[i + 1]}; done
  per=$(( (total + GENERATORS - 1) / GENERATORS ))
  pids=()
  for ((g = 0; g < GENERATORS; g++)); do
    generator "$@" --connections "$per" --uid-offset $((g * per)) &
    pids+=($!)
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  redis_report
  events_report
  exit $status
fi
