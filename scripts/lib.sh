# Shared by scripts/up, scripts/test and .ci/run: install what is missing, never twice.
# shellcheck shell=bash

TEMPORAL_CLI_VERSION=v1.5.1
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
# The newest go directive of the two modules (the Temporal CLI v1.5.1 says go 1.25.0).
GO_MIN=1.25
PEBBLE_VERSION=v2.10.3

export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

say() { printf '%-10s %s\n' "$1" "$2"; }
die() { printf 'tutti up: %s\n' "$*" >&2; exit 1; }

cache_dir() {
  local dir=${TUTTI_CACHE_DIR:-/var/cache/tutti}
  mkdir -p "$dir/bin" 2>/dev/null || { dir="$HOME/.cache/tutti"; mkdir -p "$dir/bin"; }
  export TUTTI_CACHE_DIR=$dir
  printf '%s' "$dir"
}

ensure_node_modules() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say npm "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed; run it by hand to see why"
  fi
}

ensure_build() {
  local stamp=dist/.build-stamp
  if [ ! -f "$stamp" ] || [ -n "$(find src workflows activities bench test tsconfig.json package-lock.json -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
    say build "compiling TypeScript"
    npx tsc -p tsconfig.json || die "TypeScript build failed"
    touch "$stamp"
  fi
}

# Host commands that scripts/, bin/, bench/, the worker and the tests run outside containers,
# each with the Debian package that provides it and who needs it. Everything else they call is
# in every Debian install (bash, coreutils, tar, gzip, findutils, mawk, util-linux's flock,
# mount's umount). To add a tool: one line "command package reason"; a path instead of a
# command is checked with test -e. chromium, for the browser tests only, has ensure_chromium.
HOST_TOOLS=(
  "docker docker.io the Docker CLI, and the engine when none runs (ensure_docker)"
  "debootstrap debootstrap the base images (scripts/images.sh)"
  "zstd zstd .zst migration sources, the Drupal fixtures, and the scan of zstd backups (Node 20 zlib has no zstd)"
  "/etc/ssl/certs/ca-certificates.crt ca-certificates go install over https"
  "openssl openssl the listener certificate of the dev/test Pebble (src/platform/pebble.ts)"
)

apt_install() {
  [ "$(id -u)" = 0 ] || die "$* missing and not root: install it with sudo apt-get install $*"
  say apt "installing $*"
  # Another apt run (an engineer's, unattended-upgrades) holds the lock for a while: wait for it.
  local apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
  if [ -z "${TUTTI_APT_UPDATED:-}" ]; then "${apt[@]}" update >/dev/null || die "apt-get update failed; check the Debian mirror in /etc/apt/sources.list*"; TUTTI_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

# Installs the packages of the HOST_TOOLS entries (all, or those named) that are missing, in one apt run.
ensure_host_tools() {
  local entry tool pkg reason missing=() why=()
  for entry in "${HOST_TOOLS[@]}"; do
    read -r tool pkg reason <<<"$entry"
    [ $# -eq 0 ] || printf '%s\n' "$@" | grep -qxF -- "$tool" || continue
    if [[ $tool == /* ]]; then [ -e "$tool" ] && continue; else command -v "$tool" >/dev/null && continue; fi
    missing+=("$pkg")
    why+=("$pkg: $reason")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say host "missing on this machine: $(printf '%s; ' "${why[@]}" | sed 's/; $//')"
  apt_install "${missing[@]}"
}

# Dies naming the tool when a command the caller is about to run is missing, so a gap in
# HOST_TOOLS shows as "X is not installed", not as an error from deep inside a log.
require_tool() {
  command -v "$1" >/dev/null || die "$1 is not installed; run: apt-get install $2 (and add it to HOST_TOOLS in scripts/lib.sh)"
}

docker_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

DOCKERD_PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/tutti-dockerd.log}
# How long a dockerd that is alive but silent (starting, or stopping after a kill) is given.
DOCKERD_SETTLE_S=${DOCKERD_SETTLE_S:-180}

# The pid of the default engine's dockerd if it is alive (its pid file names it, and the
# process is a dockerd that has not exited: a zombie has), else nothing.
dockerd_pid() {
  local pid
  pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] &&
    ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && echo "$pid"
  return 0
}

# Waits while a dockerd is alive but not answering: it is starting, or still stopping (a second
# one started now would fail on its pid file). Returns 0 once it answers, 1 once it is gone.
wait_for_dockerd() {
  local pid since=$SECONDS said=""
  while pid=$(dockerd_pid) && [ -n "$pid" ]; do
    docker_answers && return 0
    [ -n "$said" ] || { say docker "dockerd (pid $pid) is running but not answering yet: waiting for it to start or stop"; said=1; }
    [ $((SECONDS - since)) -lt "$DOCKERD_SETTLE_S" ] ||
      die "docker: dockerd (pid $pid) is alive but has not answered for $DOCKERD_SETTLE_S s; see $DOCKERD_LOG, or end it (kill $pid) and rerun"
    sleep 1
  done
  docker_answers
}

# A Docker engine: the one at DOCKER_HOST or the default socket; else Debian's docker.io, started here.
ensure_docker() {
  command -v docker >/dev/null || apt_install docker.io
  if docker_answers; then return; fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "docker: no engine answers at DOCKER_HOST=$DOCKER_HOST; start it or unset DOCKER_HOST"
  fi
  command -v dockerd >/dev/null || apt_install docker.io
  if wait_for_dockerd; then return; fi
  [ "$(id -u)" = 0 ] || die "docker: engine not running and not root; start it with sudo systemctl start docker"
  say docker "starting dockerd (log $DOCKERD_LOG)"
  nohup dockerd >"$DOCKERD_LOG" 2>&1 &
  local started=$! since=$SECONDS
  until docker_answers; do
    kill -0 "$started" 2>/dev/null || die "docker: dockerd exited during start ($(tail -n 1 "$DOCKERD_LOG")); see $DOCKERD_LOG"
    [ $((SECONDS - since)) -lt "$DOCKERD_SETTLE_S" ] || die "docker: dockerd did not answer within $DOCKERD_SETTLE_S s; see $DOCKERD_LOG"
    sleep 1
  done
}

# The go.dev tarball's place, for shells whose PATH was set before Go was installed.
go_on_path() {
  command -v go >/dev/null && return
  [ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin && return
  die "no Go toolchain to build the Temporal CLI and MinIO; install Go >= $GO_MIN (https://go.dev/dl, into /usr/local/go)"
}

# go install of a pinned module into the cache, once.
ensure_go_tool() {
  local name=$1 module=$2 bin start=$SECONDS
  bin="$(cache_dir)/bin/$name"
  [ -x "$bin" ] && return
  go_on_path
  say "$name" "building $module (once; cached in $(cache_dir)/bin)"
  (cd /tmp && CGO_ENABLED=0 GOBIN="$(cache_dir)/bin" GOFLAGS=-mod=mod go install "$module") >"$(cache_dir)/$name-build.log" 2>&1 \
    || die "$name: go install $module failed; see $(cache_dir)/$name-build.log"
  say "$name" "built in $((SECONDS - start)) s"
}

# The Go builds (minutes, CPU) run in the background while dockerd, npm, tsc and the images
# (mostly downloads and unpacking) go ahead; failures are reported once all have ended.
ensure_toolchain() {
  ensure_host_tools
  ensure_docker
  local pids=() pid failed=0
  ensure_go_tool temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" & pids+=($!)
  ensure_go_tool minio "github.com/minio/minio@$MINIO_VERSION" & pids+=($!)
  # the ACME server of the dev and test platforms, and the DNS server it resolves site domains with
  ensure_go_tool pebble "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" & pids+=($!)
  ensure_go_tool pebble-challtestsrv "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION" & pids+=($!)
  scripts/images.sh ensure & pids+=($!)
  (ensure_node_modules && ensure_build) || failed=1
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || die "the toolchain is incomplete; see the lines above"
}

# The browser tests drive Debian's Chromium through playwright-core (no browser download).
ensure_chromium() {
  if [ -n "${TUTTI_CHROMIUM:-}" ]; then [ -x "$TUTTI_CHROMIUM" ] || die "TUTTI_CHROMIUM=$TUTTI_CHROMIUM is not an executable"; return; fi
  command -v chromium >/dev/null || apt_install chromium
}
