#!/usr/bin/env bash
# Runs one load scenario against a fresh server: the server pinned to one core, the generator to the other.
#
#   bench/run.sh SCENARIO [generator options...]     SCENARIO: idle | uid | group | broadcast | churn
#
# Extra options go to the generator and override the scenario defaults below, for example
#   bench/run.sh uid --batch 100 --duration 60
#   bench/run.sh broadcast --transport sse
# Environment: PORT (18080), SERVER_CPU (0), GEN_CPU (1), SERVER_HEAP (1g), GEN_HEAP (2g),
#   GENERATORS (1; 2 splits --connections over two generator processes, for more than ~19,900),
#   SERVER_OPTS (extra server arguments), LOG_DIR (bench/target).
# Build first: ./mvnw -q -DskipTests package
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-}
case "$scenario" in
  idle)      defaults=(--connections 19000 --duration 60 --source-ips 4 --connect-concurrency 500 --server-gc true) ;;
  uid)       defaults=(--connections 10000 --warmup 10 --duration 30 --inflight 32) ;;
  group)     defaults=(--connections 10000 --group-size 100 --warmup 10 --duration 30 --inflight 32) ;;
  broadcast) defaults=(--connections 10000 --rate 20 --warmup 5 --duration 30 --inflight 4) ;;
  churn)     defaults=(--connections 5000 --rate 2000 --churn-rate 200 --churn-life 2000 --warmup 5 --duration 30) ;;
  *) echo "usage: $0 idle|uid|group|broadcast|churn [generator options...]" >&2; exit 2 ;;
esac
shift

PORT=${PORT:-18080}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
SERVER_HEAP=${SERVER_HEAP:-1g}
GEN_HEAP=${GEN_HEAP:-2g}
GENERATORS=${GENERATORS:-1}
LOG_DIR=${LOG_DIR:-bench/target}
# fixed bench-only secrets: the server is bound to this run and stopped at the end
JWT_SECRET=bench-jwt-secret-not-for-production-0123456789
API_KEY=bench-api-key-0123456789abcdef
SERVER_JAR=app/target/pushgate.jar
BENCH_JAR=bench/target/pushgate-bench.jar
for jar in "$SERVER_JAR" "$BENCH_JAR"; do
  [[ -f $jar ]] || { echo "$jar is missing: build with ./mvnw -q -DskipTests package" >&2; exit 1; }
done

# each connection is one file descriptor on both sides: take the hard limit as the soft one
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)" >&2

mkdir -p "$LOG_DIR"
server_log="$LOG_DIR/server-$scenario.log"
# shellcheck disable=SC2086
taskset -c "$SERVER_CPU" java -Xms"$SERVER_HEAP" -Xmx"$SERVER_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=50 \
  -Dreactor.netty.ioWorkerCount=1 \
  -jar "$SERVER_JAR" --server.port="$PORT" \
  --pushgate.auth.jwt-secret="$JWT_SECRET" --pushgate.api.keys="$API_KEY" \
  --pushgate.session.max-per-uid=100 --logging.level.root=WARN ${SERVER_OPTS:-} >"$server_log" 2>&1 &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT

for _ in $(seq 1 120); do
  if curl -fs -o /dev/null -H "Authorization: Bearer $API_KEY" "http://127.0.0.1:$PORT/api/v1/stats"; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "server exited, see $server_log" >&2; exit 1; }
  sleep 0.5
done
echo "server pid $server_pid on port $PORT (log: $server_log)" >&2

generator() { # generator N-of-GENERATORS, extra args
  taskset -c "$GEN_CPU" java -Xms"$GEN_HEAP" -Xmx"$GEN_HEAP" -XX:+UseParallelGC -jar "$BENCH_JAR" \
    --scenario "$scenario" --ws-url "ws://127.0.0.1:$PORT" --api-url "http://127.0.0.1:$PORT" \
    --jwt-secret "$JWT_SECRET" --api-key "$API_KEY" --server-pid "$server_pid" "${defaults[@]}" "$@"
}

if [[ $GENERATORS -le 1 ]]; then
  generator "$@"
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
  exit $status
fi
