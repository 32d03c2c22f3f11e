# shellcheck shell=bash
# Shared by the scripts: find a Python >= 3.14.2 and run commands with it.
#
# Order: python3.14 on PATH -> a uv-managed 3.14 -> (Debian-family, root) a
# Debian sid root filesystem in a cache folder outside the repo, entered
# through unshare + bind mounts + chroot so nothing stays mounted afterwards.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CONNECTCALL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/connectcall}"
ROOTFS="$CACHE/sid-root"
# Bump to force every cached root filesystem to be rebuilt.
# g++ and the headers: the demo's Home Assistant needs two packages that PyPI
# has no Python 3.14 wheels of (pymicro-vad, pyspeex-noise).
ROOTFS_PACKAGES="python3.14,python3.14-venv,python3.14-dev,g++,ca-certificates"
ROOTFS_RECIPE="2 $ROOTFS_PACKAGES"
ROOTFS_MAX_AGE_DAYS=30
MIN_PY="3.14.2"

say() { printf '==> %s\n' "$*" >&2; }

_py_ok() { # $1: interpreter; true when it is >= MIN_PY
  "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, 14, 2) else 1)" 2>/dev/null
}

_native_python() {
  local cand
  if cand="$(command -v python3.14 2>/dev/null)" && _py_ok "$cand"; then
    echo "$cand"; return 0
  fi
  if command -v uv >/dev/null 2>&1 &&
    cand="$(uv python find --no-python-downloads '>=3.14.2' 2>/dev/null)" && _py_ok "$cand"; then
    echo "$cand"; return 0
  fi
  return 1
}

_rootfs_fresh() {
  [ -f "$ROOTFS/.connectcall-ready" ] || return 1
  [ "$(cat "$ROOTFS/.connectcall-ready")" = "$ROOTFS_RECIPE" ] || return 1
  [ -z "$(find "$ROOTFS/.connectcall-ready" -mtime +"$ROOTFS_MAX_AGE_DAYS" 2>/dev/null)" ]
}

_rootfs_mounted() { grep -q " $ROOTFS/" /proc/self/mountinfo 2>/dev/null; }

_build_rootfs() {
  if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
    say "No Python >= $MIN_PY found. Install python3.14 (>= $MIN_PY) or uv"
    say "('uv python install 3.14'), or run as root on a Debian-family Linux."
    exit 1
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  fi
  if _rootfs_mounted; then
    say "refusing to rebuild $ROOTFS: something is still mounted inside it"
    exit 1
  fi
  say "building a Debian sid root with Python 3.14 in $ROOTFS (about 30 s)"
  rm -rf "$ROOTFS"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
    sid "$ROOTFS" >"$CACHE/debootstrap.log" 2>&1 ||
    { say "debootstrap failed; see $CACHE/debootstrap.log"; exit 1; }
  # The host's locally added CAs (TLS-inspecting proxies) for PyPI inside.
  if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
    cp -r /usr/local/share/ca-certificates/. "$ROOTFS/usr/local/share/ca-certificates/"
    chroot "$ROOTFS" update-ca-certificates >/dev/null 2>&1
  fi
  echo "$ROOTFS_RECIPE" >"$ROOTFS/.connectcall-ready"
}

# Sets CC_MODE (native|rootfs) and CC_PYTHON (the interpreter, as seen by cc_run).
cc_bootstrap() {
  if [ -n "${CC_MODE:-}" ]; then return 0; fi
  if CC_PYTHON="$(_native_python)"; then
    CC_MODE=native
  else
    _rootfs_fresh || _build_rootfs
    CC_MODE=rootfs
    CC_PYTHON=/usr/bin/python3.14
  fi
  export CC_MODE CC_PYTHON
}

# The virtual environment (path as seen by cc_run); $1 names it.
cc_venv() {
  if [ "$CC_MODE" = native ]; then echo "$REPO/.venv/${1}"; else echo "/opt/venv-${1}"; fi
}

# Run a command with the chosen Python (inside the root if need be), in the
# current directory, with the repo at the same absolute path.
cc_run() {
  if [ "$CC_MODE" = native ]; then
    "$@"
    return
  fi
  cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
  mkdir -p "$ROOTFS$REPO"
  # Chosen variables pass through; PIP_FIND_LINKS names a host-only folder.
  local -a pass=()
  local v
  for v in CI PYTEST_ADDOPTS HYPOTHESIS_PROFILE COLUMNS; do
    if [ -n "${!v:-}" ]; then pass+=("$v=${!v}"); fi
  done
  local inner
  # shellcheck disable=SC2016
  inner='set -e
    r="$1"; repo="$2"; wd="$3"; n="$4"; shift 4
    mount --rbind /dev "$r/dev"
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --bind /tmp "$r/tmp"
    mount --bind "$repo" "$r$repo"
    envs=()
    while [ "$n" -gt 0 ]; do envs+=("$1"); shift; n=$((n - 1)); done
    exec chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 \
      PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      "${envs[@]}" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$wd" "$@"'
  unshare --mount --propagation private --fork --kill-child -- \
    bash -c "$inner" inner "$ROOTFS" "$REPO" "$PWD" "${#pass[@]}" "${pass[@]}" "$@"
}

# Create/refresh venv $1 from requirement file $2 (skipped when unchanged).
cc_ensure_venv() {
  local name="$1" req="$2" venv stamp want
  venv="$(cc_venv "$name")"
  # Rebuilt when its requirement file (or the interpreter) changes.
  want="$( (cat "$REPO/$req"; echo "$CC_MODE $CC_PYTHON") | sha256sum | cut -c1-16)"
  if [ "$CC_MODE" = native ]; then stamp="$venv/.stamp"; else stamp="$ROOTFS$venv/.stamp"; fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "installing $req into $venv"
  cc_run "$CC_PYTHON" -m venv --clear "$venv"
  cc_run "$venv/bin/python" -m pip install -q --upgrade pip
  (cd "$REPO" && cc_run "$venv/bin/python" -m pip install -q -r "$req")
  echo "$want" >"$stamp"
}
