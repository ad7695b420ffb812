#!/usr/bin/env bash
# Test a tc/netem shaping script for real, inside a throwaway QEMU VM.
#
# For hosts whose kernel has no netem (`tc qdisc add ... netem` answers
# "Specified qdisc kind is unknown"): boots Debian's own cloud kernel under
# QEMU (TCG software emulation, no KVM needed) from a small initramfs made of
# static busybox, the host's /usr/sbin/ip and /usr/sbin/tc (with their
# libraries), the kernel's tc/netem modules and the tc distribution tables.
#
# Inside the VM: network namespaces a and b joined by a veth pair, va in a
# (10.99.0.1/24) and vb in b (10.99.0.2/24). SCRIPT runs in namespace a with
# DEV=va and TC_LIB_DIR set to a folder holding the standard .dist tables and
# every extra FILE named *.dist; then a pings b and every RTT is reported.
#
# Usage: scripts/netem-vm.sh [options] SCRIPT [FILE...]
#   --count N         pings to send (default 500)
#   --interval SECS   seconds between pings (default 0.01)
#   --size BYTES      ping payload size, 4 to 65507 (default 56)
#   --arg ARG         pass ARG to SCRIPT as the next positional parameter
#                     (repeatable; e.g. `--arg apply` for netem/<svc>.sh)
#   --timeout SECS    hard limit for the whole VM run
#                     (default 300 + COUNT * INTERVAL)
#   --verbose         copy the VM console to stderr after the run
#   --keep            keep the temporary build folder (path on stderr)
#
# SCRIPT is a POSIX sh script (busybox sh). It and every FILE are copied to
# /work/ in the guest (by base name) and SCRIPT runs from there, sourced by
# `ip netns exec a sh` after a prelude that maps bare `ip` and `tc` to the
# real /usr/sbin/ip and /usr/sbin/tc (busybox's applets would win otherwise);
# calling them by full path works too. The script gets 120 s (env
# DETGEN_VM_SCRIPT_TIMEOUT), its stdout+stderr and exit code are reported.
#
# Output: one JSON object on one line on stdout:
#   {"script_exit": 0, "script_output": "...", "sent": 500, "received": 497,
#    "duplicates": 0, "rtt_ms": [50.1, ...], "calibration_rtt_ms": [10.4, ...],
#    "kernel": "6.1.0-56-cloud-amd64",
#    "qdisc_after": "<tc -s qdisc show in namespace a after the pings>"}
# rtt_ms has one RTT per received (non-duplicate) reply, in arrival order;
# calibration_rtt_ms, 50 round trips through a constant 10 ms netem delay
# taken before SCRIPT ran (about 10.5 ms; more when a busy host makes the
# guest's timers late).
# Exit status: 0 when the VM ran the test (whatever the script's own exit
# code), 2 on a usage error, 1 when the harness could not run (message on
# stderr).
#
# Cache: the downloaded kernel and busybox, unpacked, live in
# ${DETGEN_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/detgen/netem-vm};
# later runs only rebuild the initramfs. DETGEN_VM_REFRESH=1 downloads again
# (e.g. for a newer kernel). DETGEN_VM_KERNEL_PKG picks another kernel
# metapackage (default linux-image-cloud-amd64), DETGEN_VM_MODULES adds
# kernel modules to load (names, space-separated).
#
# Needs root on a fresh Debian 12 only to apt-get install what is missing
# (qemu-system-x86, cpio, xz-utils, python3, iproute2); everything is
# fetched from Debian's archive with apt.
set -euo pipefail

prog=netem-vm
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vmfiles=$here/netem-vm

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage_error() { log "$*"; log "usage: scripts/netem-vm.sh [--count N] [--interval SECS] [--size BYTES] [--arg ARG]... [--timeout SECS] [--verbose] [--keep] SCRIPT [FILE...]"; exit 2; }

# ---------------------------------------------------------------- arguments
count=500 interval=0.01 size=56 vm_timeout='' verbose=0 keep=0
script_args=()
while [ $# -gt 0 ]; do
    case $1 in
        --count) [ $# -ge 2 ] || usage_error "--count needs a value"; count=$2; shift 2 ;;
        --count=*) count=${1#*=}; shift ;;
        --interval) [ $# -ge 2 ] || usage_error "--interval needs a value"; interval=$2; shift 2 ;;
        --interval=*) interval=${1#*=}; shift ;;
        --size) [ $# -ge 2 ] || usage_error "--size needs a value"; size=$2; shift 2 ;;
        --size=*) size=${1#*=}; shift ;;
        --arg) [ $# -ge 2 ] || usage_error "--arg needs a value"; script_args+=("$2"); shift 2 ;;
        --arg=*) script_args+=("${1#*=}"); shift ;;
        --timeout) [ $# -ge 2 ] || usage_error "--timeout needs a value"; vm_timeout=$2; shift 2 ;;
        --timeout=*) vm_timeout=${1#*=}; shift ;;
        --verbose) verbose=1; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        --) shift; break ;;
        -*) usage_error "unknown option $1" ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage_error "SCRIPT is missing"
script=$1; shift
extra_files=("$@")

{ [[ $count =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le 1000000 ]; } || usage_error "--count must be an integer from 1 to 1000000"
[[ $interval =~ ^([0-9]+(\.[0-9]*)?|\.[0-9]+)$ ]] || usage_error "--interval must be a number of seconds"
awk -v i="$interval" 'BEGIN { exit !(i + 0 >= 0.001) }' || usage_error "--interval must be at least 0.001"
# busybox ping times a reply only when the payload holds its 4-byte stamp.
{ [[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 4 ] && [ "$size" -le 65507 ]; } || usage_error "--size must be an integer from 4 to 65507"
if [ -n "$vm_timeout" ]; then
    { [[ $vm_timeout =~ ^[0-9]+$ ]] && [ "$vm_timeout" -ge 10 ]; } || usage_error "--timeout must be an integer of at least 10 seconds"
else
    vm_timeout=$(awk -v c="$count" -v i="$interval" 'BEGIN { t = 300 + c * i; printf "%d", (t == int(t)) ? t : int(t) + 1 }')
fi
script_timeout=${DETGEN_VM_SCRIPT_TIMEOUT:-120}
{ [[ $script_timeout =~ ^[0-9]+$ ]] && [ "$script_timeout" -ge 1 ]; } || usage_error "DETGEN_VM_SCRIPT_TIMEOUT must be a positive integer"

[ -f "$script" ] || usage_error "SCRIPT $script is not a file"
declare -A seen_names=()
check_name() {
    local name=$1
    { [[ $name =~ ^[A-Za-z0-9._+-]+$ ]] && [ "$name" != . ] && [ "$name" != .. ]; } \
        || usage_error "file name '$name' must only use letters, digits, '.', '_', '+', '-'"
    [ -z "${seen_names[$name]:-}" ] || usage_error "two files are named $name"
    seen_names[$name]=1
}
check_name "$(basename "$script")"
for f in "${extra_files[@]}"; do
    [ -f "$f" ] || usage_error "FILE $f is not a file"
    check_name "$(basename "$f")"
done

for f in init prelude.sh parse.py; do
    [ -f "$vmfiles/$f" ] || die "missing $vmfiles/$f"
done

# ---------------------------------------------------------------- host tools
export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update() {
    [ "$apt_updated" -eq 1 ] && return 0
    log "apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    apt_updated=1
}

need_pkgs=()
for pair in qemu-system-x86_64:qemu-system-x86 cpio:cpio xz:xz-utils gzip:gzip \
            python3:python3 dpkg-deb:dpkg apt-get:apt timeout:coreutils flock:util-linux \
            ldd:libc-bin; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
[ -x /usr/sbin/ip ] && [ -x /usr/sbin/tc ] || need_pkgs+=(iproute2)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages ${need_pkgs[*]} (run as root to have them installed, or apt-get install them)"
    apt_update
    log "installing ${need_pkgs[*]}"
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2 \
        || die "apt-get install ${need_pkgs[*]} failed"
fi
command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 is still missing"

# ---------------------------------------------------------------- cache
tmp=$(mktemp -d "${TMPDIR:-/tmp}/netem-vm.XXXXXX")
chmod 755 "$tmp"  # apt-get download writes into it as user _apt
qemu_pid=
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then kill "$qemu_pid" 2>/dev/null || true; fi
    if [ "$keep" -eq 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cache=${DETGEN_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/detgen/netem-vm}
mkdir -p "$cache" || die "cannot create the cache folder $cache"
kernel_meta=${DETGEN_VM_KERNEL_PKG:-linux-image-cloud-amd64}

# The versioned kernel package the metapackage points to.
resolve_kernel_pkg() {
    local p
    p=$(apt-cache depends "$kernel_meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    if [ -z "$p" ]; then
        apt_update
        p=$(apt-cache depends "$kernel_meta" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    fi
    [ -n "$p" ] || die "apt knows no kernel package behind $kernel_meta"
    printf '%s\n' "$p"
}

# Download PKG... into DIR, which is made writable for apt's sandbox user
# _apt (else apt warns and downloads unsandboxed).
apt_download() {
    local dir=$1; shift
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$dir"; fi
    if ! (cd "$dir" && apt-get download "$@" >&2); then
        apt_update
        (cd "$dir" && apt-get download "$@" >&2) || die "apt-get download $* failed"
    fi
}

fetch() {
    local kpkg dl kdir bdir
    if [ "${DETGEN_VM_REFRESH:-0}" = 1 ]; then
        rm -rf "$cache/kernel" "$cache/busybox"
    fi
    if [ ! -f "$cache/kernel/READY" ]; then
        kpkg=$(resolve_kernel_pkg)
        log "downloading $kpkg into $cache"
        dl=$tmp/dl; rm -rf "$dl"; mkdir "$dl"
        apt_download "$dl" "$kpkg"
        kdir=$cache/kernel.new
        rm -rf "$kdir"
        dpkg-deb -x "$dl"/linux-image-*.deb "$kdir" || die "cannot unpack $kpkg"
        rm -rf "$dl"
        ls "$kdir"/boot/vmlinuz-* >/dev/null 2>&1 || die "$kpkg has no /boot/vmlinuz-*"
        printf '%s\n' "$kpkg" >"$kdir/READY"
        rm -rf "$cache/kernel"
        mv "$kdir" "$cache/kernel"
    fi
    if [ ! -f "$cache/busybox/READY" ]; then
        log "downloading busybox-static into $cache"
        dl=$tmp/dl; rm -rf "$dl"; mkdir "$dl"
        apt_download "$dl" busybox-static
        bdir=$cache/busybox.new
        rm -rf "$bdir"
        dpkg-deb -x "$dl"/busybox-static_*.deb "$bdir" || die "cannot unpack busybox-static"
        rm -rf "$dl"
        [ -x "$bdir/bin/busybox" ] || die "busybox-static has no /bin/busybox"
        touch "$bdir/READY"
        rm -rf "$cache/busybox"
        mv "$bdir" "$cache/busybox"
    fi
}

# One run at a time fills the cache; concurrent runs wait here.
exec 9>"$cache/.lock"
flock 9
fetch
flock -u 9

vmlinuzes=("$cache"/kernel/boot/vmlinuz-*)
vmlinuz=${vmlinuzes[0]}
[ -f "$vmlinuz" ] || die "no kernel image in $cache/kernel/boot (remove $cache to download again)"
kver=${vmlinuz##*/vmlinuz-}
moddir=
for d in "$cache/kernel/lib/modules/$kver" "$cache/kernel/usr/lib/modules/$kver"; do
    [ -d "$d" ] && moddir=$d && break
done
[ -n "$moddir" ] || die "no modules folder for $kver in $cache/kernel"
busybox=$cache/busybox/bin/busybox

# ---------------------------------------------------------------- initramfs
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,work,etc/netem-vm,"lib/modules/$kver"}

# busybox and its applets, except ip and tc (the real ones are in /usr/sbin).
cp "$busybox" "$root/bin/busybox"
for a in $("$busybox" --list); do
    case $a in busybox|ip|tc) continue ;; esac
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done

# The host's iproute2 binaries, their libraries and the dynamic loader.
for b in /usr/sbin/ip /usr/sbin/tc; do
    cp -L "$b" "$root/usr/sbin/"
    for lib in $(ldd "$b" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
        [ -e "$root$lib" ] || cp -L --parents "$lib" "$root"
    done
done
[ -d /etc/iproute2 ] && cp -rL /etc/iproute2 "$root/etc/"

# tc's distribution tables, plus the extra .dist files.
tclib=
for d in /usr/lib/x86_64-linux-gnu/tc /usr/lib/tc /usr/lib64/tc /usr/local/lib/tc; do
    [ -f "$d/normal.dist" ] && tclib=$d && break
done
[ -n "$tclib" ] || die "the host has no tc distribution tables (normal.dist); is iproute2 installed?"
mkdir -p "$root$tclib"
cp "$tclib"/*.dist "$root$tclib/"

cp "$script" "$root/work/$(basename "$script")"
for f in "${extra_files[@]}"; do
    cp "$f" "$root/work/"
    case $f in *.dist) cp "$f" "$root$tclib/" ;; esac
done

# Kernel modules with their dependencies, in load order, uncompressed.
wanted=(sch_netem veth ifb sch_ingress act_mirred cls_matchall cls_u32 sch_tbf sch_htb
        sch_prio sch_sfq act_gact act_police cls_basic cls_fw)
# shellcheck disable=SC2206 # names, split on purpose
wanted+=(${DETGEN_VM_MODULES:-})
declare -A mod_path=() mod_done=()
while IFS= read -r -d '' f; do
    n=${f##*/}; n=${n%%.ko*}; n=${n//-/_}
    mod_path[$n]=${f#"$moddir"/}
done < <(find "$moddir/kernel" -name '*.ko*' -print0)
mod_cat() {
    case $1 in
        *.xz) xz -dc "$1" ;;
        *.zst) zstd -dcq "$1" ;;
        *.gz) gzip -dc "$1" ;;
        *) cat "$1" ;;
    esac
}
uncompressed() { local r=${1%.xz}; r=${r%.zst}; printf '%s\n' "${r%.gz}"; }
mod_order=()
add_module() {
    local n=${1//-/_} rel deps d
    [ -z "${mod_done[$n]:-}" ] || return 0
    mod_done[$n]=1
    rel=${mod_path[$n]:-}
    if [ -z "$rel" ]; then
        grep -q "/${n}.ko" "$moddir/modules.builtin" 2>/dev/null \
            || grep -q "/${n//_/-}.ko" "$moddir/modules.builtin" 2>/dev/null \
            || log "warning: kernel $kver has no module $n"
        return 0
    fi
    deps=$(mod_cat "$moddir/$rel" | tr '\0' '\n' | grep -a '^depends=' | head -n1 | cut -d= -f2)
    for d in ${deps//,/ }; do add_module "$d"; done
    mod_order+=("$(uncompressed "$rel")")
    mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
    mod_cat "$moddir/$rel" >"$root/lib/modules/$kver/${mod_order[-1]}"
}
for m in "${wanted[@]}"; do add_module "$m"; done
: >"$root/etc/netem-vm/modules"
for rel in "${mod_order[@]}"; do
    case $rel in
        */ifb.ko) echo "$rel numifbs=0" ;;  # the scripts make their own ifb devices
        *) echo "$rel" ;;
    esac >>"$root/etc/netem-vm/modules"
done
# A modules.dep, so that `modprobe NAME` in a script finds the loaded module.
for rel in "${mod_order[@]}"; do
    deps=$(tr '\0' '\n' <"$root/lib/modules/$kver/$rel" | grep -a '^depends=' | head -n1 | cut -d= -f2)
    line="$rel:"
    for d in ${deps//,/ }; do
        d=${d//-/_}
        [ -n "${mod_path[$d]:-}" ] && line+=" $(uncompressed "${mod_path[$d]}")"
    done
    printf '%s\n' "$line"
done >"$root/lib/modules/$kver/modules.dep"
for f in modules.builtin modules.order; do
    [ -f "$moddir/$f" ] && cp "$moddir/$f" "$root/lib/modules/$kver/"
done

# Guest configuration.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    echo "COUNT=$count"
    echo "INTERVAL=$interval"
    echo "SIZE=$size"
    echo "SCRIPT=$(basename "$script")"
    echo "SCRIPT_TIMEOUT=$script_timeout"
    echo "TCLIB=$tclib"
    printf 'set --'
    for a in ${script_args[@]+"${script_args[@]}"}; do printf ' %s' "$(shq "$a")"; done
    echo
} >"$root/etc/netem-vm/conf"
cp "$vmfiles/prelude.sh" "$root/etc/netem-vm/prelude.sh"
cp "$vmfiles/init" "$root/init"
chmod 755 "$root/init"

initrd=$tmp/initrd.gz
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$initrd" \
    || die "cannot build the initramfs"

# ---------------------------------------------------------------- boot
log "booting $kver under QEMU/TCG (limit ${vm_timeout}s)"
start=$(date +%s)
timeout -k 10 "$vm_timeout" qemu-system-x86_64 \
    -accel tcg -m 512 -smp 1 -nodefaults -display none -no-reboot \
    -serial "file:$tmp/console.log" -serial "file:$tmp/result.log" \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append 'console=ttyS0 quiet panic=-1' \
    </dev/null >"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
set +e
wait "$qemu_pid"
qemu_rc=$?
set -e
qemu_pid=
elapsed=$(( $(date +%s) - start ))

show_console() {
    log "---- VM console (last 40 lines) ----"
    tail -n 40 "$tmp/console.log" | tr -d '\r' >&2 || true
    [ -s "$tmp/qemu.log" ] && { log "---- qemu ----"; cat "$tmp/qemu.log" >&2; }
    log "------------------------------------"
}
if [ "$verbose" -eq 1 ]; then
    tr -d '\r' <"$tmp/console.log" >&2
    [ -s "$tmp/qemu.log" ] && cat "$tmp/qemu.log" >&2
fi
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
    show_console
    die "the VM timed out after ${vm_timeout}s"
fi
if grep -q '@@SETUP-FAILED@@' "$tmp/result.log"; then
    show_console
    die "VM setup failed: $(grep -a '@@SETUP-FAILED@@' "$tmp/result.log" | head -n1 | tr -d '\r' | sed 's/^@@SETUP-FAILED@@ //')"
fi
if ! grep -q '@@RESULT-END@@' "$tmp/result.log"; then
    show_console
    die "the VM reported no result (qemu exit code $qemu_rc)"
fi
log "VM ran in ${elapsed}s"
python3 "$vmfiles/parse.py" "$tmp/result.log" || die "cannot parse the VM's result"
