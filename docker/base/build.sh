#!/bin/sh
# Builds the Debian bookworm root filesystem every bakeoff image starts FROM.
# No container registry is reachable on the project's machines, so the base comes from
# Debian's apt mirror through debootstrap instead of `docker pull debian:bookworm`.
#
# usage: build.sh IMAGE_TAG [RECIPE_HASH]     (needs root and a running dockerd)
set -eu

tag=${1:?usage: build.sh IMAGE_TAG [RECIPE_HASH]}
recipe_hash=${2:-unknown}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

root=$(mktemp -d "${TMPDIR:-/tmp}/bakeoff-base.XXXXXX")
# debootstrap mounts proc and sys inside the target while it works; an interrupted run
# must not have rm descend into them.
cleanup() {
    umount "$root/proc" "$root/sys" 2>/dev/null || true
    rm -rf --one-file-system "$root"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

debootstrap --variant=minbase bookworm "$root" "$mirror"

# Point releases and security fixes live outside the bookworm suite; without them the
# engine images would pin whatever server version the release shipped with.
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
SOURCES

# Package maintainer scripts must not start servers during `docker build`: there is no
# init system, and a half-started daemon would leave pid files baked into the image.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"

# Keep recipe layers small: no docs, man pages or translations, no recommends.
cat > "$root/etc/dpkg/dpkg.cfg.d/bakeoff-nodoc" <<'DPKG'
path-exclude=/usr/share/doc/*
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
DPKG
cat > "$root/etc/apt/apt.conf.d/90bakeoff" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
APT

rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

# Docker supplies /dev, /proc and /sys at run time; device nodes from debootstrap are noise.
tar -C "$root" --numeric-owner --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -c . |
    docker import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "LABEL org.bakeoff.recipe-hash=$recipe_hash" \
        --change 'LABEL org.bakeoff.engine=base' \
        --change 'CMD ["/bin/bash"]' \
        - "$tag"
