#!/usr/bin/env bash
# Prepare a Debian 12 host for detgen runs and tests.
#
# Installs and starts what `detgen run` and the test suite need and a fresh
# machine lacks: a Docker engine (started in the background when no service
# manager runs it), Docker Compose v2, the local base image
# `debian:bookworm-slim` (built with debootstrap when it cannot be pulled),
# tshark, tcpdump and iproute2. Idempotent: every step checks first.
#
# Usage: scripts/setup-host.sh        (as root)
set -euo pipefail

log() { printf 'setup-host: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts dockerd)"
export DEBIAN_FRONTEND=noninteractive

# The Debian mirror apt is configured with (deb822 or one-line sources).
debian_mirror() {
    local m
    m=$(grep -rhoE '^(URIs:|deb( \[[^]]*\])?) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^ ]+' | grep -v -- '-security' | grep -i debian | head -n1 || true)
    printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

need_pkgs=()
for pair in docker:docker.io containerd:containerd runc:runc debootstrap:debootstrap \
            tshark:tshark tcpdump:tcpdump ip:iproute2 tc:iproute2 iptables:iptables curl:curl; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
# A docker client alone (without the engine) is not enough.
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    apt-get update -qq
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Compose v2. Bookworm only ships compose v1; trixie's docker-compose package
# is a static binary that installs on bookworm. It is fetched from the same
# mirror without touching the system's apt sources.
if ! docker compose version >/dev/null 2>&1; then
    log "installing docker compose v2 from Debian trixie"
    scratch=$(mktemp -d)
    chmod 755 "$scratch"
    mkdir -p "$scratch/lists/partial" "$scratch/cache/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) trixie main" >"$scratch/sources.list"
    aptopts=(-o "Dir::Etc::sourcelist=$scratch/sources.list" -o "Dir::Etc::sourceparts=-"
             -o "Dir::State::Lists=$scratch/lists" -o "Dir::Cache=$scratch/cache")
    apt-get "${aptopts[@]}" update -qq
    (cd "$scratch" && apt-get "${aptopts[@]}" download docker-compose >/dev/null)
    dpkg -i "$scratch"/docker-compose_*.deb >/dev/null
    rm -rf "$scratch"
    docker compose version >/dev/null 2>&1 || die "docker compose v2 is still missing after install"
fi

# The engine. Without a service manager, start dockerd in the background.
if ! timeout 10 docker info >/dev/null 2>&1; then
    log "starting dockerd"
    mkdir -p /var/log
    nohup dockerd >/var/log/dockerd.log 2>&1 &
    for _ in $(seq 1 60); do
        timeout 5 docker info >/dev/null 2>&1 && break
        sleep 1
    done
    timeout 10 docker info >/dev/null 2>&1 || die "dockerd did not start; see /var/log/dockerd.log"
fi

# The base image every scenario builds FROM.
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    if timeout 60 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
        log "pulled debian:bookworm-slim"
    else
        log "building debian:bookworm-slim locally with debootstrap"
        rootfs=$(mktemp -d)
        debootstrap --variant=minbase bookworm "$rootfs" "$(debian_mirror)" >/dev/null
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        tar -C "$rootfs" -c . | docker import - debian:bookworm-slim >/dev/null
        rm -rf "$rootfs"
    fi
fi
log "ready: $(docker compose version --short 2>/dev/null | sed 's/^/compose /'), engine $(docker info -f '{{.ServerVersion}}')"
