# Helpers for build-images: a cached Debian minbase, apt inside a chroot, distroless-style roots
# from extracted .debs, and the import of a root directory as a labelled image.
# What must hold: nothing here tags a public name; every image carries the recipe hash label.

CACHE="${SHIPSHAPE_IMAGE_CACHE:-/var/cache/shipshape-images}"
MIRROR="${SHIPSHAPE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
LABEL_KEY=shipshape.test.recipe
mkdir -p "$CACHE/debs"

die() { echo "build-images: $*" >&2; exit 2; }
log() { echo "build-images: $*" >&2; }

# A recipe's hash covers this file, the recipe and the recipes it sources.
recipe_hash() {
  local file="$here/recipes/$1.recipe"
  { cat "$here/lib.sh" "$file"
    sed -n 's|^source "\$here/recipes/\(.*\)"$|\1|p' "$file" | while read -r dep; do cat "$here/recipes/$dep"; done
  } | sha256sum | cut -c1-16
}

# A debootstrap minbase of bookworm, kept as a tarball so every recipe starts from the same bytes.
minbase_tarball() {
  local key tarball tmp
  tarball="$CACHE/minbase-$SUITE-v1.tar"  # bump v1 when the way it is made changes
  if [ ! -s "$tarball" ]; then
    log "debootstrap --variant=minbase $SUITE (about a minute)"
    tmp=$(mktemp -d "$CACHE/minbase.XXXXXX")
    debootstrap --variant=minbase "$SUITE" "$tmp/root" "$MIRROR" >"$tmp/log" 2>&1 \
      || { tail -20 "$tmp/log" >&2; die "debootstrap failed (log above)"; }
    clean_apt "$tmp/root"
    tar -C "$tmp/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$tmp"
  fi
  echo "$tarball"
}

minbase_into() { tar -C "$1" -xf "$(minbase_tarball)"; }

clean_apt() {
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/* \
    "$1"/var/log/apt/* "$1"/var/log/dpkg.log "$1"/tmp/* "$1"/var/tmp/*
}

# apt-get install inside a chroot of ROOT (Debian's own sources only, so no third-party pin applies).
apt_in_root() {
  local root=$1; shift
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$MIRROR" "$SUITE" "$SUITE" >"$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"
  chroot "$root" apt-get -qq update
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -qq install -y --no-install-recommends "$@" >/dev/null
  clean_apt "$root"
  : >"$root/etc/resolv.conf"
}

# The Debian (not third-party) candidate version of a package, as apt-cache madison lists it.
debian_version() {
  apt-cache madison "$1" | awk -F'|' '$3 ~ /debian\.org/ { gsub(/ /, "", $2); print $2; exit }'
}

# The cached .deb of exactly PACKAGE at VERSION, if any (apt's file names write an epoch's colon
# as %3a): the cache keeps older versions beside newer ones.
cached_deb() {
  ls "$CACHE/debs/${1}_"*.deb 2>/dev/null | grep -F "_${2//:/%3a}_" | head -1 || true
}

# Extract .debs into ROOT the way distroless does: data only, no maintainer scripts, and one
# /var/lib/dpkg/status.d/<package> control paragraph per package.
debs_into() {
  local root=$1; shift
  local pkg version deb
  mkdir -p "$root/var/lib/dpkg/status.d"
  for pkg in "$@"; do
    version=$(debian_version "$pkg")
    [ -n "$version" ] || die "no Debian version of package $pkg (apt-get update?)"
    deb=$(cached_deb "$pkg" "$version")
    if [ -z "$deb" ]; then
      (cd "$CACHE/debs" && apt-get -o APT::Sandbox::User=root download -qq "$pkg=$version" >/dev/null) || die "apt-get download $pkg=$version failed"
      deb=$(cached_deb "$pkg" "$version")
      [ -n "$deb" ] || die "apt-get download $pkg=$version left no such .deb in $CACHE/debs"
    fi
    dpkg-deb -x "$deb" "$root"
    dpkg-deb -f "$deb" >"$root/var/lib/dpkg/status.d/$pkg"
  done
}

# The accounts every distroless image has: root, nobody and nonroot (65532).
distroless_accounts() {
  local root=$1
  mkdir -p "$root/etc" "$root/home/nonroot" "$root/root" "$root/tmp"
  chmod 1777 "$root/tmp"
  chown 65532:65532 "$root/home/nonroot"
  cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PW
  cat >"$root/etc/group" <<'GR'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
GR
}

# Source the recipe, build its root and import it with its config changes and the recipe label.
build_recipe() {
  local name=$1 hash current tmp change
  [ -f "$here/recipes/$name.recipe" ] || die "no recipe $name in $here/recipes"
  hash=$(recipe_hash "$name")
  (
    TAGS=() CHANGES=()
    # shellcheck disable=SC1090
    source "$here/recipes/$name.recipe"
    current=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "${TAGS[0]}" 2>/dev/null || true)
    if [ "$current" = "$hash" ]; then
      log "$name: up to date (${TAGS[0]})"
    else
      log "$name: building ${TAGS[0]}"
      tmp=$(mktemp -d "$CACHE/root.XXXXXX")
      trap "rm -rf '$tmp'" EXIT  # expanded now: a failing build exits outside this function's scope
      mkdir "$tmp/root"
      rootfs "$tmp/root"
      local args=(--change "LABEL $LABEL_KEY=$hash")
      for change in "${CHANGES[@]}"; do args+=(--change "$change"); done
      local previous
      previous=$(docker image inspect --format '{{.Id}}' "${TAGS[0]}" 2>/dev/null || true)
      tar -C "$tmp/root" --numeric-owner -cf - . | docker import "${args[@]}" - "${TAGS[0]}" >/dev/null
      [ -z "$previous" ] || docker rmi "$previous" >/dev/null 2>&1 || true  # the superseded build
    fi
    for tag in "${TAGS[@]:1}"; do docker tag "${TAGS[0]}" "$tag"; done
  )
}
