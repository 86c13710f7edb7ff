# shellcheck shell=bash
# Sourced by images.sh: codebases that images read from tarballs outside the repository (the
# Drupal and CiviCRM fixtures). Build args named in STAGED_ARGS (CODEBASE=<name>, CV=<name>)
# name a tarball <dir>/<name>.tar.zst; its sha256 goes into the image's context hash and its
# tree is staged into a copy of the build context (the legacy builder takes one context only).
# A missing tarball stages nothing: the recipe then runs `composer create-project` itself.

CODEBASES_DIR="${TUTTI_DRUPAL_CODEBASES:-}"
if [ -z "$CODEBASES_DIR" ] && [ -d "$ROOT/../shared/platforms/drupal" ]; then
  CODEBASES_DIR="$(cd "$ROOT/../shared/platforms/drupal" && pwd)"
fi
# build arg => folder of the staged context it fills
declare -A STAGED_ARGS=([CODEBASE]=code [CV]=cv)

is_staged_arg() {
  [ -n "${STAGED_ARGS[${1%%=*}]:-}" ]
}

tarball_of() {
  local name="$1"
  [ -n "$CODEBASES_DIR" ] && [ -f "$CODEBASES_DIR/$name.tar.zst" ] && echo "$CODEBASES_DIR/$name.tar.zst"
}

# sha256 of a tarball, cached by path, size and mtime so an unchanged run stays fast.
tarball_sha256() {
  local file="$1" key cache
  key="$(stat -c '%n %s %Y' "$file" | sha256_of_stdin)"
  cache="$CACHE_DIR/sha256/$key"
  if [ ! -f "$cache" ]; then
    mkdir -p "$CACHE_DIR/sha256"
    sha256_of_stdin <"$file" >"$cache.tmp" && mv "$cache.tmp" "$cache"
  fi
  cat "$cache"
}

# Lines for the context hash: one per staged arg, with the tarball's sha256 or "composer".
staged_hash_lines() {
  local arg tarball
  for arg in "$@"; do
    is_staged_arg "$arg" || continue
    if tarball="$(tarball_of "${arg#*=}")"; then
      printf 'tarball %s %s\n' "$arg" "$(tarball_sha256 "$tarball")"
    else
      printf 'tarball %s composer\n' "$arg"
    fi
  done
}

ensure_zstd() {
  command -v zstd >/dev/null && return
  echo "images.sh: installing zstd (apt-get install zstd), needed to unpack the codebase tarballs"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends zstd; } >"$CACHE_DIR/logs/apt-zstd.log" 2>&1 ||
    die "zstd is not installed and apt-get install zstd failed: see $CACHE_DIR/logs/apt-zstd.log"
}

# Copies the context to $2 and unpacks each staged tarball into its folder there (empty when
# no tarball: the recipe builds that codebase with composer and says so in the build log). The
# stage is kept for the next build: a tarball whose sha256 is the one unpacked there is not
# unpacked again (a whole codebase is slow to write and to delete on a busy disk).
stage_context() {
  local context="$1" stage="$2" arg dir tarball want
  shift 2
  mkdir -p "$stage"
  find "$stage" -mindepth 1 -maxdepth 1 ! -name code ! -name cv ! -name '.unpacked-*' -exec rm -rf {} +
  cp -a "$context/." "$stage/"
  for dir in "${STAGED_ARGS[@]}"; do mkdir -p "$stage/$dir"; done
  for arg in "$@"; do
    is_staged_arg "$arg" || continue
    dir="${STAGED_ARGS[${arg%%=*}]}"
    if tarball="$(tarball_of "${arg#*=}")"; then
      want="$(tarball_sha256 "$tarball")"
      [ "$(cat "$stage/.unpacked-$dir" 2>/dev/null)" = "$want" ] && continue
      ensure_zstd
      rm -rf "$stage/${dir:?}" "$stage/.unpacked-$dir"
      mkdir -p "$stage/$dir"
      zstd -dc "$tarball" | tar -x --no-same-owner --strip-components=1 -C "$stage/$dir" ||
        die "unpacking $tarball failed; check it with: cd $CODEBASES_DIR && sha256sum -c SHA256SUMS"
      echo "$want" >"$stage/.unpacked-$dir"
    else
      rm -rf "$stage/${dir:?}" "$stage/.unpacked-$dir"
      mkdir -p "$stage/$dir"
      echo "images.sh: no ${arg#*=}.tar.zst in ${CODEBASES_DIR:-TUTTI_DRUPAL_CODEBASES (unset)}: the recipe makes that codebase with composer create-project, which needs the package registries"
    fi
  done
}
