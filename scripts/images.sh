#!/usr/bin/env bash
# Builds Tutti's container images from Debian packages (no registry needed).
#
#   scripts/images.sh ensure [IMAGE...]   build what is missing or whose context changed
#   scripts/images.sh list                print the image names, in build order
#
# Rebuild detection: every image carries the label tutti.context-hash, a SHA-256 over
# its recipe (Dockerfile, copied files, build args, and the recipe of its base image).
# See images/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
CACHE_DIR="${TUTTI_CACHE_DIR:-/var/cache/tutti}"
MIRROR="${TUTTI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${TUTTI_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# Bump when the way images are made changes in a way the hashed files do not show.
RECIPE_VERSION=1

BASE_SUITES=(bookworm trixie)
# image, context directory under images/, build args. The SUITE arg names the base image.
DERIVED=(
  "tutti/mariadb:10.11 mariadb SUITE=bookworm"
  "tutti/varnish:7 varnish SUITE=bookworm"
  "tutti/relay:bookworm relay SUITE=bookworm"
  "tutti/haproxy:bookworm haproxy SUITE=bookworm"
  "tutti/wordpress:php8.2-bookworm wordpress SUITE=bookworm"
  "tutti/wordpress:php8.4-trixie wordpress SUITE=trixie"
  "tutti/wordpress:broken wordpress SUITE=bookworm TUTTI_BROKEN=1"
  "tutti/drupal:10.2-php8.2-bookworm drupal SUITE=bookworm CODEBASE=drupal-10.2.12-drush-13.3.0 DRUPAL_VERSION=~10.2.0"
  "tutti/drupal:10.3-php8.2-bookworm drupal SUITE=bookworm CODEBASE=drupal-10.3.7-drush-13.3.0 DRUPAL_VERSION=~10.3.0"
  "tutti/drupal-civicrm:10.3-6.5-php8.2-bookworm drupal SUITE=bookworm CODEBASE=drupal-10.3.7-civicrm-6.5 CV=cv DRUPAL_VERSION=~10.3.0 CIVICRM_VERSION=6.5"
)

# shellcheck source=scripts/images-codebases.sh
. "$ROOT/scripts/images-codebases.sh"

die() {
  echo "images.sh: $*" >&2
  exit 1
}

usage() {
  echo "usage: scripts/images.sh ensure [IMAGE...] | list" >&2
  exit 2
}

all_images() {
  local suite entry
  for suite in "${BASE_SUITES[@]}"; do echo "tutti/base:$suite"; done
  for entry in "${DERIVED[@]}"; do echo "${entry%% *}"; done
}

sha256_of_stdin() {
  sha256sum | cut -d' ' -f1
}

# --- base images --------------------------------------------------------------------

apt_sources() {
  local suite="$1"
  cat <<EOF
Types: deb
URIs: $MIRROR
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# Container-friendly apt and dpkg: no docs, no recommends by default, no service starts.
dpkg_excludes() {
  cat <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
EOF
}

apt_conf() {
  cat <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
}

policy_rc_d() {
  printf '#!/bin/sh\n# Services are started by the container entrypoint, never by package scripts.\nexit 101\n'
}

base_recipe_hash() {
  local suite="$1"
  {
    echo "recipe v$RECIPE_VERSION base $suite minbase $MIRROR"
    apt_sources "$suite"
    dpkg_excludes
    apt_conf
    policy_rc_d
  } | sha256_of_stdin
}

# Unmount anything debootstrap left mounted, then remove the tree without leaving its filesystem.
remove_rootfs_dir() {
  local dir="$1" mnt
  [ -e "$dir" ] || return 0
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v d="$dir" 'index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

make_rootfs_tar() {
  local suite="$1" hash="$2"
  local dir="$CACHE_DIR/rootfs/$suite.d" tar="$CACHE_DIR/rootfs/$suite.tar" log="$CACHE_DIR/rootfs/$suite.log"
  [ "$(id -u)" -eq 0 ] || die "building tutti/base:$suite needs root (debootstrap); rerun as root or with sudo"
  ensure_host_tools debootstrap
  require_tool debootstrap debootstrap
  remove_rootfs_dir "$dir"
  if ! debootstrap --variant=minbase "$suite" "$dir" "$MIRROR" >"$log" 2>&1; then
    remove_rootfs_dir "$dir"
    die "debootstrap of $suite failed: see $log; check the Debian mirror $MIRROR is reachable"
  fi
  {
    rm -f "$dir/etc/apt/sources.list"
    apt_sources "$suite" >"$dir/etc/apt/sources.list.d/debian.sources"
    dpkg_excludes >"$dir/etc/dpkg/dpkg.cfg.d/tutti-excludes"
    apt_conf >"$dir/etc/apt/apt.conf.d/90tutti"
    policy_rc_d >"$dir/usr/sbin/policy-rc.d"
    chmod 0755 "$dir/usr/sbin/policy-rc.d"
    # Docker provides these at run time; keep the build host's out of the image.
    : >"$dir/etc/resolv.conf"
    echo localhost >"$dir/etc/hostname"
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin \
      "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/var/log/bootstrap.log "$dir"/debootstrap
    find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    find "$dir/usr/share/doc" -type f ! -name copyright -delete
    find "$dir/usr/share/doc" -depth -type d -empty -delete
    tar --numeric-owner --xattrs -C "$dir" -cf "$tar.tmp" .
  } >>"$log" 2>&1 || {
    remove_rootfs_dir "$dir"
    rm -f "$tar.tmp"
    die "packing the $suite rootfs failed: see $log; check free space in $CACHE_DIR"
  }
  remove_rootfs_dir "$dir"
  mv "$tar.tmp" "$tar"
  echo "$hash" >"$tar.recipe"
}

ensure_base() {
  local suite="$1" image="tutti/base:$1" hash start what tar="$CACHE_DIR/rootfs/$1.tar"
  hash="$(base_recipe_hash "$suite")"
  if [ "$(current_hash "$image")" = "$hash" ]; then
    echo "image $image ... up to date"
    return
  fi
  start=$SECONDS
  what="built"
  if [ -f "$tar" ] && [ "$(cat "$tar.recipe" 2>/dev/null)" = "$hash" ]; then
    what="imported from $tar"
  else
    make_rootfs_tar "$suite" "$hash"
  fi
  docker import \
    --change "LABEL tutti.managed=true" \
    --change "LABEL tutti.context-hash=$hash" \
    --change "LABEL tutti.suite=$suite" \
    --change "ENV LANG=C.UTF-8" \
    --change 'CMD ["/bin/bash"]' \
    "$tar" "$image" >/dev/null 2>"$CACHE_DIR/rootfs/$suite.import.log" ||
    die "docker import of $tar failed: see $CACHE_DIR/rootfs/$suite.import.log; delete $tar to rebuild the rootfs"
  echo "image $image ... $what in $((SECONDS - start)) s"
}

# --- images built with docker build -----------------------------------------------------

current_hash() {
  docker image inspect --format '{{ index .Config.Labels "tutti.context-hash" }}' "$1" 2>/dev/null || true
}

context_hash() {
  local context="$1" suite="$2"
  shift 2
  {
    echo "recipe v$RECIPE_VERSION"
    echo "base $(base_recipe_hash "$suite")"
    (
      cd "$context"
      # Only the executable bit counts: other mode bits differ between checkouts.
      find . -type f -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' f; do
        if [ -x "$f" ]; then x=x; else x=-; fi
        printf 'file %s %s %s\n' "$f" "$x" "$(sha256_of_stdin <"$f")"
      done
    )
    printf 'arg %s\n' "$@"
    staged_hash_lines "$@"
  } | sha256_of_stdin
}

ensure_derived() {
  local image="$1" dir="$2"
  shift 2
  local context="$ROOT/images/$dir" suite="" arg hash start log staged=0
  local build_args=()
  for arg in "$@"; do
    if is_staged_arg "$arg"; then
      staged=1
      continue
    fi
    build_args+=(--build-arg "$arg")
    [ "${arg%%=*}" = SUITE ] && suite="${arg#*=}"
  done
  [ -f "$context/Dockerfile" ] || die "$context/Dockerfile is missing; restore it from git"
  hash="$(context_hash "$context" "$suite" "$@")"
  if [ "$(current_hash "$image")" = "$hash" ]; then
    echo "image $image ... up to date"
    return
  fi
  log="$CACHE_DIR/logs/$(echo "$image" | tr '/:' '__').log"
  start=$SECONDS
  if [ "$staged" = 1 ]; then
    stage_context "$context" "$CACHE_DIR/contexts/$(echo "$image" | tr '/:' '__')" "$@"
    context="$CACHE_DIR/contexts/$(echo "$image" | tr '/:' '__')"
  fi
  if ! DOCKER_BUILDKIT=0 docker build --network host --pull=false \
    --label tutti.managed=true --label "tutti.context-hash=$hash" \
    "${build_args[@]}" -t "$image" "$context" >"$log" 2>&1; then
    echo "images.sh: build of $image failed: see $log; fix images/$dir or check the Debian mirror $MIRROR is reachable" >&2
    echo "--- last lines of $log:" >&2
    tail -n 12 "$log" >&2
    exit 1
  fi
  echo "image $image ... built in $((SECONDS - start)) s"
}

# --- commands -----------------------------------------------------------------------------

wanted() {
  local image="$1" w
  [ "${#WANTED[@]}" -eq 0 ] && return 0
  for w in "${WANTED[@]}"; do [ "$w" = "$image" ] && return 0; done
  return 1
}

ensure() {
  WANTED=("$@")
  local w entry suite
  for w in "${WANTED[@]}"; do
    all_images | grep -qxF -- "$w" || die "unknown image \"$w\"; see: scripts/images.sh list"
  done
  docker info >/dev/null 2>&1 ||
    die "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start it (dockerd) and rerun"
  mkdir -p "$CACHE_DIR/rootfs" "$CACHE_DIR/logs"
  exec 9>"$CACHE_DIR/images.lock"
  flock -w 3600 9 || die "another images.sh holds $CACHE_DIR/images.lock for over an hour; check it with: fuser $CACHE_DIR/images.lock"

  # The two suites build side by side (debootstrap and apt are mostly waiting on the mirror).
  local pids=() pid failed=0
  for suite in "${BASE_SUITES[@]}"; do
    ensure_suite "$suite" & pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || die "some images were not built; see the lines above"
}

# A suite's base image (when wanted, or needed by a wanted image), then its wanted derived
# images one after the other: builds from one base side by side each make their own copy of
# the steps they share, and a later build's cache lookup can follow the wrong copy and miss
# (wordpress:broken rebuilt php8.2's packages for minutes instead of reusing them).
ensure_suite() {
  local suite="$1" entry arg mine=()
  for entry in "${DERIVED[@]}"; do
    # shellcheck disable=SC2086
    set -- $entry
    wanted "$1" || continue
    for arg in "${@:3}"; do [ "$arg" = "SUITE=$suite" ] && mine+=("$entry"); done
  done
  wanted "tutti/base:$suite" || [ ${#mine[@]} -gt 0 ] || return 0
  ensure_base "$suite"
  for entry in "${mine[@]}"; do
    # shellcheck disable=SC2086
    ensure_derived $entry
  done
}

case "${1:-}" in
  ensure) shift; ensure "$@" ;;
  list) all_images ;;
  *) usage ;;
esac
