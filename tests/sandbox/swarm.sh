# A real two-node Docker Swarm on this machine (sourced by up and down): a manager and a
# worker, each its own dockerd in its own network namespace and UTS name, joined over a
# veth pair that only these two namespaces see (10.213.0.1 and 10.213.0.2); images loaded
# into both engines; a stack deployed with `docker stack deploy` from a stack file kept
# where the manager's host would keep it. Every service uses the node's host network, so
# nothing but the namespaces' own loopback and veth addresses is ever used.

SWARM=$STATE/swarm
SWARM_NODES="manager worker"
SWARM_STACK=acme
SWARM_MANAGER_SOCK=$SWARM/manager.sock
SWARM_NET_manager=10.213.0.1
SWARM_NET_worker=10.213.0.2
SWARM_HOST_manager=swarm-manager-1
SWARM_HOST_worker=swarm-worker-1

swarm_sock() { echo "$SWARM/$1.sock"; }
swarm_() { local node=$1; shift; docker -H "unix://$(swarm_sock "$node")" "$@"; }
swarm_netns() { echo "ph-swarm-$1"; }

# The veth pair and the two namespaces (idempotent).
swarm_network() {
  local node ns addr
  for node in $SWARM_NODES; do
    ns=$(swarm_netns "$node")
    [ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  if ! ip -n "$(swarm_netns manager)" link show phsw-m >/dev/null 2>&1; then
    ip link del phsw-m 2>/dev/null || true
    ip link add phsw-m type veth peer name phsw-w
    ip link set phsw-m netns "$(swarm_netns manager)"
    ip link set phsw-w netns "$(swarm_netns worker)"
  fi
  for node in $SWARM_NODES; do
    ns=$(swarm_netns "$node")
    eval "addr=\$SWARM_NET_$node"
    local dev=phsw-${node:0:1}
    # Not `ip … | grep -q`: under pipefail, grep leaving early makes ip's SIGPIPE a failure.
    case "$(ip -n "$ns" addr show dev "$dev")" in
      *" $addr/"*) ;;
      *) ip -n "$ns" addr add "$addr/24" dev "$dev" ;;
    esac
    ip -n "$ns" link set "$dev" up
  done
}

start_swarm_engine() { # start_swarm_engine NODE
  local node=$1 host
  eval "host=\$SWARM_HOST_$node"
  if pid_alive "swarm-$node" && swarm_ "$node" version >/dev/null 2>&1; then return 0; fi
  say "starting the swarm $node's dockerd ($host, namespace $(swarm_netns "$node"))"
  rm -f "$(swarm_sock "$node")"
  mkdir -p "$SWARM/$node/docker" "$SWARM/$node/exec"
  # nsenter, not `ip netns exec` (that remounts /sys, and dockerd then finds no cgroups);
  # unshare --uts gives the node its own hostname.
  setsid nsenter --net="/var/run/netns/$(swarm_netns "$node")" unshare --uts sh -c \
    "hostname $host && exec dockerd --host unix://$(swarm_sock "$node") \
      --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
      --data-root $SWARM/$node/docker --exec-root $SWARM/$node/exec \
      --pidfile $RUN/swarm-$node.pid --log-driver json-file --log-opt max-size=10m" \
    >"$LOGS/swarm-$node.log" 2>&1 </dev/null &
  wait_for 60 "$LOGS/swarm-$node.log" "the swarm $node's dockerd" swarm_ "$node" version
}

swarm_joined() {
  [ "$(swarm_ manager info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] &&
    [ "$(swarm_ worker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] &&
    [ "$(swarm_ manager node ls -q 2>/dev/null | wc -l)" -ge 2 ]
}

swarm_form() {
  swarm_joined && return 0
  say "forming the swarm (manager $SWARM_NET_manager, worker $SWARM_NET_worker)"
  if [ "$(swarm_ manager info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    swarm_ manager swarm init --advertise-addr "$SWARM_NET_manager" --listen-addr "$SWARM_NET_manager:2377" \
      >>"$LOGS/swarm-manager.log" 2>&1 || die "docker swarm init failed" "$LOGS/swarm-manager.log"
  fi
  if [ "$(swarm_ worker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    swarm_ worker swarm join --token "$(swarm_ manager swarm join-token -q worker)" \
      --advertise-addr "$SWARM_NET_worker" --listen-addr "$SWARM_NET_worker:2377" "$SWARM_NET_manager:2377" \
      >>"$LOGS/swarm-worker.log" 2>&1 || die "docker swarm join failed" "$LOGS/swarm-worker.log"
  fi
  wait_for 60 "$LOGS/swarm-manager.log" "the worker joining the swarm" swarm_two_ready
}

swarm_two_ready() {
  [ "$(swarm_ manager node ls --format '{{.Status}}' | grep -c Ready)" -ge 2 ]
}

# Redis from Debian's package (the server and redis-cli, which the console's `exec` way
# in uses) on the demo base image (busybox for its health check).
build_redis_image() {
  docker_ image inspect pilothouse-redis:7.0 >/dev/null 2>&1 && return 0
  local ctx=$STATE/redis-build bin
  rm -rf "$ctx"
  mkdir -p "$ctx/rootfs/usr/bin"
  for bin in redis-server redis-cli; do
    cp "/usr/bin/$bin" "$ctx/rootfs/usr/bin/$bin"
    ldd "/usr/bin/$bin" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$ctx/rootfs$(dirname "$lib")"
      cp -L "$lib" "$ctx/rootfs$lib"
    done
  done
  printf 'FROM pilothouse-demo-base\nCOPY rootfs/ /\nENTRYPOINT ["/usr/bin/redis-server"]\n' >"$ctx/Dockerfile"
  docker_ build --network host -q -t pilothouse-redis:7.0 "$ctx" >>"$LOGS/image-build.log" 2>&1 ||
    die "docker build of the redis image failed" "$LOGS/image-build.log"
}

# The images the stack runs, in both engines under the names the stack file uses.
swarm_images() {
  local refs=() tag
  for tag in $TAGS; do
    docker_ tag "pilothouse-demo:$tag" "$REGISTRY_ADDR/acme/app:$tag"
    docker_ tag "pilothouse-demo:$tag" "$REGISTRY_ADDR/acme/worker:$tag"
    refs+=("$REGISTRY_ADDR/acme/app:$tag" "$REGISTRY_ADDR/acme/worker:$tag")
  done
  docker_ tag pilothouse-redis:7.0 "$REGISTRY_ADDR/acme/redis:7"
  refs+=("$REGISTRY_ADDR/acme/redis:7")
  local node
  for node in $SWARM_NODES; do
    if ! swarm_ "$node" image inspect "${refs[@]}" >/dev/null 2>&1; then
      say "loading the stack's images into the swarm $node"
      docker_ save "${refs[@]}" | swarm_ "$node" load -q >>"$LOGS/swarm-$node.log" 2>&1 ||
        die "loading images into the swarm $node failed" "$LOGS/swarm-$node.log"
    fi
  done
}

write_stack() {
  mkdir -p "$SWARM/opt/acme"
  cat >"$SWARM/opt/acme/docker-stack.yml" <<EOF
# The acme stack on the sandbox swarm (tests/sandbox/swarm.sh). Host networking: each
# node is its own network namespace, so the same port on two nodes is two sockets.
version: "3.8"
services:
  app:
    image: $REGISTRY_ADDR/acme/app:\${APP_TAG:-v1}
    environment:
      PORT: "1820{{.Task.Slot}}"
      SERVICE_NAME: app
      DATABASE_POOL_SIZE: "0"
      DEMO_REUSE_PORT: "1"
      SECRETS_DIR: /run/secrets
    secrets: [db_password, api_token]
    # Unhealthy within about 6 s, well inside the update's 15 s monitor: a broken image
    # fails its rolling update (and the engine rolls it back) even on a loaded machine.
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:\$\$PORT/health"]
      interval: 2s
      timeout: 2s
      retries: 2
      start_period: 2s
    networks: [hostnet]
    deploy:
      replicas: 2
      update_config:
        parallelism: 1
        failure_action: rollback
        order: start-first
        monitor: 15s
      rollback_config:
        parallelism: 1
        order: start-first
  worker:
    image: $REGISTRY_ADDR/acme/worker:\${WORKER_TAG:-v1}
    environment:
      PORT: "18210"
      SERVICE_NAME: worker
      DATABASE_POOL_SIZE: "0"
    networks: [hostnet]
    deploy:
      replicas: 1
  redis:
    image: $REGISTRY_ADDR/acme/redis:7
    command: ["--bind", "127.0.0.1", "--port", "16379", "--save", "", "--appendonly", "no"]
    healthcheck:
      test: ["CMD-SHELL", "printf 'PING\\\\r\\\\n' | nc -w 1 127.0.0.1 16379 | grep -q PONG"]
      interval: 5s
      timeout: 3s
      retries: 3
    networks: [hostnet]
    deploy:
      replicas: 1
secrets:
  db_password:
    external: true
  api_token:
    external: true
networks:
  hostnet:
    external: true
    name: host
EOF
}

swarm_secrets() {
  local name
  for name in db_password api_token; do
    swarm_ manager secret inspect "$name" >/dev/null 2>&1 && continue
    secret "swarm-$name" | swarm_ manager secret create "$name" - >>"$LOGS/swarm-manager.log" 2>&1 ||
      die "docker secret create $name failed" "$LOGS/swarm-manager.log"
  done
}

deploy_stack() {
  say "deploying the $SWARM_STACK stack on the swarm"
  (cd "$SWARM/opt/acme" && swarm_ manager stack deploy --resolve-image never -c docker-stack.yml "$SWARM_STACK") \
    >>"$LOGS/swarm-manager.log" 2>&1 || die "docker stack deploy failed" "$LOGS/swarm-manager.log"
}

# Every service of the stack at its desired replicas, and no task still starting.
stack_converged() {
  local line
  [ "$(swarm_ manager service ls -q --filter "label=com.docker.stack.namespace=$SWARM_STACK" | wc -l)" -eq 3 ] || return 1
  while read -r line; do
    [ "${line%%/*}" = "${line#*/}" ] || return 1
  done < <(swarm_ manager service ls --filter "label=com.docker.stack.namespace=$SWARM_STACK" --format '{{.Replicas}}' | awk '{print $1}')
  local node
  for node in $SWARM_NODES; do
    [ "$(swarm_ "$node" ps -q --filter health=starting | wc -l)" -eq 0 ] || return 1
  done
}

stack_gone() {
  [ "$(swarm_ manager service ls -q --filter "label=com.docker.stack.namespace=$SWARM_STACK" | wc -l)" -eq 0 ] &&
    [ "$(swarm_ manager ps -q | wc -l)$(swarm_ worker ps -q | wc -l)" = 00 ]
}

start_swarm() {
  build_redis_image
  swarm_network
  local node
  for node in $SWARM_NODES; do start_swarm_engine "$node"; done
  swarm_form
  swarm_images
  swarm_secrets
  write_stack
  if [ "$RESET" = 1 ]; then
    say "resetting the swarm stack (removed, then deployed again on v1)"
    swarm_ manager stack rm "$SWARM_STACK" >>"$LOGS/swarm-manager.log" 2>&1 || true
    wait_for 60 "$LOGS/swarm-manager.log" "the stack's removal" stack_gone
  fi
  deploy_stack
  wait_for 120 "$LOGS/swarm-manager.log" "the $SWARM_STACK stack converging" stack_converged
}

stop_swarm() {
  local node p m
  for node in worker manager; do
    if pid_alive "swarm-$node"; then
      say "the swarm $node leaves the swarm and its dockerd stops"
      swarm_ "$node" swarm leave --force >>"$LOGS/swarm-$node.log" 2>&1 || true
      stop_pid "swarm-$node" 30
    fi
    rm -f "$RUN/swarm-$node.pid" "$(swarm_sock "$node")"
    for p in $(pgrep -f "containerd-shim.*$SWARM/$node/exec" || true); do kill -KILL "$p" 2>/dev/null || true; done
    for p in $(pgrep -f "containerd.*$SWARM/$node/exec" || true); do kill -TERM "$p" 2>/dev/null || true; done
  done
  for m in $(awk -v s="$SWARM" 'index($2, s) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for node in $SWARM_NODES; do
    ip netns delete "$(swarm_netns "$node")" 2>/dev/null || true
  done
  ip link del phsw-m 2>/dev/null || true
}
