# Shared by scripts/up, scripts/test and .ci/run: install what is missing, never twice.
# shellcheck shell=bash

TEMPORAL_CLI_VERSION=v1.5.1
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
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

apt_install() {
  [ "$(id -u)" = 0 ] || die "$* missing and not root: install it with sudo apt-get install $*"
  if [ -z "${TUTTI_APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; TUTTI_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

docker_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# A Docker engine: the one at DOCKER_HOST or the default socket; else Debian's docker.io, started here.
ensure_docker() {
  command -v docker >/dev/null || apt_install docker.io
  if docker_answers; then return; fi
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "docker: no engine answers at DOCKER_HOST=$DOCKER_HOST; start it or unset DOCKER_HOST"
  fi
  command -v dockerd >/dev/null || apt_install docker.io
  [ "$(id -u)" = 0 ] || die "docker: engine not running and not root; start it with sudo systemctl start docker"
  say docker "starting dockerd (log /var/log/tutti-dockerd.log)"
  nohup dockerd >/var/log/tutti-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker_answers && return; sleep 1; done
  die "docker: dockerd did not answer within 60 s; see /var/log/tutti-dockerd.log"
}

# go install of a pinned module into the cache, once.
ensure_go_tool() {
  local name=$1 module=$2 bin
  bin="$(cache_dir)/bin/$name"
  [ -x "$bin" ] && return
  command -v go >/dev/null || die "$name missing and no Go toolchain to build it; install Go >= 1.24"
  say "$name" "building $module (once; cached in $(cache_dir)/bin)"
  (cd /tmp && CGO_ENABLED=0 GOBIN="$(cache_dir)/bin" GOFLAGS=-mod=mod go install "$module") >"$(cache_dir)/$name-build.log" 2>&1 \
    || die "$name: go install $module failed; see $(cache_dir)/$name-build.log"
}

ensure_toolchain() {
  ensure_node_modules
  ensure_build
  ensure_docker
  ensure_go_tool temporal "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
  ensure_go_tool minio "github.com/minio/minio@$MINIO_VERSION"
  # the ACME server of the dev and test platforms, and the DNS server it resolves site domains with
  ensure_go_tool pebble "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION"
  ensure_go_tool pebble-challtestsrv "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION"
  command -v openssl >/dev/null || apt_install openssl
  scripts/images.sh ensure
}

# The browser tests drive Debian's Chromium through playwright-core (no browser download).
ensure_chromium() {
  if [ -n "${TUTTI_CHROMIUM:-}" ]; then [ -x "$TUTTI_CHROMIUM" ] || die "TUTTI_CHROMIUM=$TUTTI_CHROMIUM is not an executable"; return; fi
  command -v chromium >/dev/null || { say chromium "installing Debian's chromium"; apt_install chromium; }
}
