# The steps of scripts/clean-room; it sets NAME (the container) and LOGS (this run's log dir).
# shellcheck shell=bash

go_env() {
  go_on_path
  go env "$1"
}

# What a pass vouches for: the files the clean room protects, and the prerequisites it ran with.
protected_hash() {
  {
    git ls-files -z --cached --others --exclude-standard -- scripts images package.json package-lock.json .ci |
      LC_ALL=C sort -z | while IFS= read -r -d '' f; do
        [ -f "$f" ] && printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
      done
    dpkg-query -W nodejs 2>/dev/null || true
    /usr/local/go/bin/go version 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# The README's prerequisites, as this machine has them: NodeSource's nodejs 20 package, Go in /usr/local/go.
require_prerequisites() {
  local node go
  node=$(dpkg-query -W -f '${Version}' nodejs 2>/dev/null) ||
    die "no nodejs package on this machine to give the container; install Node 20 as the README says"
  [[ $node == 20.* ]] || die "this machine's nodejs package is $node; the README's prerequisite is Node 20"
  [ -x /usr/local/go/bin/go ] || die "no Go in /usr/local/go to give the container; install Go >= $GO_MIN from https://go.dev/dl"
  go=$(/usr/local/go/bin/go env GOVERSION)
  [ "$(printf '%s\n' "go$GO_MIN" "$go" | sort -V | head -n 1)" = "go$GO_MIN" ] ||
    die "/usr/local/go is $go; the README's prerequisite is Go >= $GO_MIN"
}

in_room() { docker exec -w /work/tutti "$NAME" "$@"; }

# Every capability this machine can grant (the ones missing from its bounding set dropped), no
# seccomp or AppArmor filter, every device: what a dockerd inside needs, short of --privileged.
nested_docker_args() {
  local bnd cap n=0 drop=()
  bnd=$((16#$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)))
  for cap in CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE \
    NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT \
    SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE \
    AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ \
    PERFMON BPF CHECKPOINT_RESTORE; do
    [ $(((bnd >> n) & 1)) = 1 ] || drop+=(--cap-drop "$cap")
    n=$((n + 1))
  done
  NESTED_DOCKER_ARGS=(--cap-add ALL "${drop[@]}" --security-opt seccomp=unconfined --security-opt apparmor=unconfined
    --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm')
}

# Docker mounts /sys and the container's cgroups read-only; the inner dockerd makes cgroups.
allow_nested_docker() {
  local m
  in_room mount -o remount,rw /sys || return 1
  for m in $(in_room awk '$3 == "cgroup" { print $2 }' /proc/mounts); do in_room mount -o remount,bind,rw "$m" || return 1; done
  echo "/sys and $(in_room awk '$3 == "cgroup"' /proc/mounts | wc -l) cgroup hierarchies writable"
}

# Node 20 the way the README tells a Debian 12 user to get it, NodeSource's nodejs package. Its
# repository is not reachable from here, so the container gets this machine's node binary from
# that package and the npm it runs (npm updates itself in place, so not the package's file
# list), nothing else. Go is the go.dev tarball's /usr/local/go, mounted read-only. apt keeps
# its downloads in the clean room's own cache.
install_prerequisites() {
  tar -C / -c usr/bin/node usr/bin/npm usr/bin/npx usr/lib/node_modules/npm | docker exec -i "$NAME" tar -x -C / || return 1
  printf '#clear DPkg::Post-Invoke;\nBinary::apt::APT::Keep-Downloaded-Packages "true";\n' |
    docker exec -i "$NAME" tee /etc/apt/apt.conf.d/99clean-room-keep-debs >/dev/null || return 1
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cat /usr/local/share/ca-certificates/*.crt | docker exec -i "$NAME" tee /etc/clean-room-local-cas.pem >/dev/null || return 1
  fi
  local node npm go
  node=$(in_room node --version) && npm=$(in_room npm --version) && go=$(in_room go version) || return 1
  echo "Node $node (nodejs $(dpkg-query -W -f '${Version}' nodejs)), npm $npm, $go"
}

# The checkout as a fresh clone of it would be (tracked and new files, nothing ignored), in
# /work/tutti beside the read-only /work/shared.
copy_checkout() {
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
  done | tar --null -T - -c | docker exec -i "$NAME" tar -x -C /work/tutti || return 1
  echo "$(in_room find . -type f | wc -l) files in /work/tutti; /work/shared: $(in_room ls /work/shared | tr '\n' ' ')"
}

# The host's Go build cache, copied (go writes to it): same toolchain, same paths, so the Go
# builds of the Temporal CLI and MinIO mostly link. --cold skips this and the module proxy.
copy_go_cache() {
  local dir
  dir=$(go_env GOCACHE)
  in_room mkdir -p /root/.cache/go-build || return 1
  tar -C "$dir" -c . | docker exec -i "$NAME" tar -x -C /root/.cache/go-build || return 1
  echo "$(du -sh "$dir" | cut -f1) from $dir"
}

STEPS=()
step() {
  local name=$1 start=$SECONDS log="$LOGS/${1// /-}.log"
  shift
  say clean-room "$name"
  if "$@" 2>&1 | tee "$log" | sed -u 's/^/    /'; then
    STEPS+=("$name|$((SECONDS - start))")
    return
  fi
  STEPS+=("$name|$((SECONDS - start))|FAILED")
  report
  die "step \"$name\" failed after $((SECONDS - start)) s; its output is above and in $log"
}

report() {
  local row name secs failed total=0
  echo "clean room, seconds per step:"
  for row in "${STEPS[@]}"; do
    IFS='|' read -r name secs failed <<<"$row"
    total=$((total + secs))
    printf '  %-18s %5s s %s\n' "$name" "$secs" "$failed"
  done
  printf '  %-18s %5s s (%s)\n' total "$total" "$([ -n "$COLD" ] && echo 'cold: no Go caches' || echo "Go caches of this machine")"
}

# A GET through the inner Varnish with the site's Host header: 200 and the title in the page.
# shellcheck disable=SC2016
CHECK_JS='
const http = require("node:http");
const [domain, title] = process.argv.slice(1);
http.get({ host: "127.0.0.1", port: 8080, path: "/", headers: { host: domain } }, (res) => {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (c) => (body += c));
  res.on("end", () => {
    const found = body.includes(title);
    console.log(`GET http://${domain}/ via Varnish 127.0.0.1:8080: ${res.statusCode}, title "${title}" ${found ? "found" : "missing"}`);
    process.exit(res.statusCode === 200 && found ? 0 : 1);
  });
}).on("error", (e) => { console.error(`GET http://${domain}/ via Varnish 127.0.0.1:8080: ${e.message}`); process.exit(1); });
'
