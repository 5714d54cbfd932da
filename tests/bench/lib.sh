# Shared by the benchmarks that run against the sandbox host (sourced, not run).
# Needs: $state (the sandbox's state dir), $work (a scratch dir), $bin (the release binary).

# N containers in project acme-bench, each with a health check every INTERVAL (default
# 2s); waits until all are healthy.
bench_containers() {
  local n=$1 every=${2:-2s} i port
  bench_containers_rm
  for i in $(seq -w 1 "$n"); do
    port=$((19000 + 10#$i))
    docker run -d --name "acme-bench_svc$i" --network host \
      --label com.docker.compose.project=acme-bench --label "com.docker.compose.service=svc$i" \
      -e PORT=$port -e SERVICE_NAME=svc$i -e DATABASE_POOL_SIZE=0 \
      --health-cmd "wget -q -O /dev/null http://127.0.0.1:$port/health" --health-interval "$every" \
      127.0.0.1:5000/acme/web:v1 >/dev/null
  done
  until [ "$(docker ps --filter label=com.docker.compose.project=acme-bench --filter health=healthy -q | wc -l)" -eq "$n" ]; do sleep 1; done
}

bench_containers_rm() {
  docker ps -aq --filter label=com.docker.compose.project=acme-bench | xargs -r docker rm -f >/dev/null
}

# The console's config for project acme-bench over the sandbox's sshd.
bench_config() {
  cat <<CONF
[environments.bench]
[environments.bench.ssh]
destination = "127.0.0.1"
user = "root"
port = 2222
identity_file = "$state/ssh/id_ed25519"
known_hosts_file = "$state/ssh/known_hosts"
[environments.bench.compose]
project_dir = "/opt/acme-bench"
project_name = "acme-bench"
CONF
}

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Start to the first complete table (N/N running) against `ssh host docker ps` on the
# same host, alternately, median of RUNS (default 5) each; prints three lines, the last
# `ratio: R`.
bench_startup() {
  local n=$1 config=$2 runs=${3:-5} run t0 ssh_ms console_ms
  local ssh_times=() console_times=()
  for run in $(seq 1 "$runs"); do
    t0=$(now_ms)
    ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$state/ssh/known_hosts" \
      -i "$state/ssh/id_ed25519" -p 2222 root@127.0.0.1 \
      docker ps --filter label=com.docker.compose.project=acme-bench >/dev/null
    ssh_times+=($(($(now_ms) - t0)))
    t0=$(now_ms)
    tmux new-session -d -s ph-bench -x 200 -y 60 "env TERM=xterm-256color TMPDIR=$work $bin --config $config"
    until tmux capture-pane -p -t ph-bench 2>/dev/null | grep -q "$n/$n running"; do sleep 0.01; done
    console_times+=($(($(now_ms) - t0)))
    tmux kill-session -t ph-bench
    sleep 0.5
  done
  ssh_ms=$(printf '%s\n' "${ssh_times[@]}" | median)
  console_ms=$(printf '%s\n' "${console_times[@]}" | median)
  echo "ssh host docker ps: ${ssh_ms} ms (runs: ${ssh_times[*]})"
  echo "console, launch to $n/$n rows: ${console_ms} ms (runs: ${console_times[*]})"
  awk -v c="$console_ms" -v s="$ssh_ms" 'BEGIN { printf "ratio: %.2fx\n", c / s }'
}

# The CPU accounting cgroup root ($cgroot) and cg_ns CGROUP: its CPU time in ns (cgroup
# v1 cpuacct or v2).
bench_cgroups() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cgroot=/sys/fs/cgroup
    cg_ns() { awk '/^usage_usec/ {print $2 * 1000}' "$1/cpu.stat"; }
  else
    for cgroot in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do [ -d "$cgroot" ] && break; done
    cg_ns() { cat "$1/cpuacct.usage"; }
  fi
}

# Moves every process of CGROUP back to the root and removes it.
bench_cgroup_rm() {
  local p
  while read -r p; do echo "$p" >"$cgroot/cgroup.procs" 2>/dev/null || true; done <"$1/cgroup.procs"
  rmdir "$1" 2>/dev/null || true
}
