#!/usr/bin/env bash
# Assembles a sysroot for a kiosk board from Debian bookworm's packages: the target's -dev packages
# that cmake/Dependencies.cmake finds (plus GoogleTest, GoogleMock and cpp-httplib for the tests)
# and their whole runtime dependency closure, unpacked with `dpkg -x` into DIR.
#   toolchain/sysroot.sh ARCH [DIR]      ARCH: aarch64 | arm64 | armhf
#                                        DIR default: $SENTINEL_SYSROOTS/ARCH (/work/sysroots/ARCH)
#
# The host's dpkg is not touched: no `dpkg --add-architecture`, nothing of the target installed on
# the host. apt runs with a private state, cache and source list under DIR/.apt with the target as
# its only architecture and an empty dpkg status, so `apt-get install --download-only` resolves the
# full closure of the list below. Idempotent: when DIR/.sentinel-sysroot records the same package
# list, nothing is done; otherwise only .debs not yet unpacked are extracted (apt keeps the cache).
# Absolute symlinks inside DIR (libfoo.so -> /lib/...) are rewritten to relative ones.
set -euo pipefail

usage() { echo "usage: $0 aarch64|armhf [DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in
    aarch64 | arm64) deb_arch=arm64 triplet=aarch64-linux-gnu ;;
    armhf | arm) deb_arch=armhf triplet=arm-linux-gnueabihf ;;
    *) usage ;;
esac
dir=${2:-${SENTINEL_SYSROOTS:-/work/sysroots}/$deb_arch}

# Target packages: what cmake/Dependencies.cmake finds, the tests' libraries, and libstdc++'s
# headers (the cross g++ is configured --with-sysroot=/, so with --sysroot it looks for its C++
# headers inside the sysroot).
packages=(
    libc6-dev libstdc++-12-dev
    libssl-dev zlib1g-dev libsqlite3-dev libcurl4-openssl-dev
    nlohmann-json3-dev libtomlplusplus-dev libzxing-dev
    libopencv-dev libopencv-contrib-dev
    libgpiod-dev libsystemd-dev
    libgtest-dev libgmock-dev libcpp-httplib-dev
)
stamp="$dir/.sentinel-sysroot"
want="bookworm $deb_arch ${packages[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "sysroot: $dir is up to date ($deb_arch)"
    exit 0
fi

apt_dir="$dir/.apt"
mkdir -p "$apt_dir"/{state/lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d,etc/trusted.gpg.d}
: >"$apt_dir/state/status"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/etc/sources.list" <<EOF
deb [arch=$deb_arch signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb [arch=$deb_arch signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb [arch=$deb_arch signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
EOF
apt_opts=(
    -o "APT::Architecture=$deb_arch" -o "APT::Architectures::=$deb_arch"
    -o "Dir::State=$apt_dir/state" -o "Dir::State::status=$apt_dir/state/status"
    -o "Dir::Cache=$apt_dir/cache" -o "Dir::Etc=$apt_dir/etc"
    -o "Dir::Etc::sourcelist=$apt_dir/etc/sources.list" -o "Dir::Etc::sourceparts=-"
    -o "Dir::Etc::parts=$apt_dir/etc/apt.conf.d" -o "Dir::Etc::preferencesparts=$apt_dir/etc/preferences.d"
    -o "Dir::Etc::trustedparts=$apt_dir/etc/trusted.gpg.d"
    -o "APT::Install-Recommends=false" -o "APT::Get::Download-Only=true"
    -o "Debug::NoLocking=true" -o "Acquire::Languages=none" -o "Acquire::Retries=3"
)
echo "sysroot: resolving ${#packages[@]} packages for $deb_arch into $dir"
# A mirror caught mid-sync answers with a short index: try the update again a few times, then go on
# with the indexes that did arrive (apt ignores a failed one; a missing bookworm-security index
# only means the sysroot gets bookworm's point-release versions of those packages).
for try in 1 2 3; do
    if apt-get "${apt_opts[@]}" -q -o APT::Update::Error-Mode=any update; then break; fi
    if [ "$try" -eq 3 ]; then
        echo "sysroot: warning: some package indexes failed to download; going on without them" >&2
    else
        sleep $((try * 5))
    fi
done
apt-get "${apt_opts[@]}" -q -y install "${packages[@]}" >"$apt_dir/download.log"

# Unpack each .deb once (the record of what was unpacked lives beside apt's state).
unpacked="$apt_dir/unpacked"
touch "$unpacked"
count=0
for deb in "$apt_dir"/cache/archives/*.deb; do
    name=$(basename "$deb")
    grep -qxF "$name" "$unpacked" && continue
    dpkg-deb -x "$deb" "$dir"
    echo "$name" >>"$unpacked"
    count=$((count + 1))
done
echo "sysroot: unpacked $count new packages ($(wc -l <"$unpacked") in all)"

# Bookworm is merged-/usr: /lib, /lib64, /bin and /sbin are links into /usr.
for d in lib lib64 bin sbin; do
    if [ -d "$dir/usr/$d" ] && [ ! -e "$dir/$d" ] && [ ! -L "$dir/$d" ]; then ln -s "usr/$d" "$dir/$d"; fi
done
# Absolute symlinks point into the host once the tree is a sysroot: make them relative.
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case "$target" in
        /*) ln -sfn "$(realpath -m -s --relative-to="$(dirname "$link")" "$dir$target")" "$link" ;;
    esac
done < <(find "$dir" -path "$apt_dir" -prune -o -type l -print0)

# Maintainer scripts never ran, so update-alternatives did not link the libraries it manages
# (libblas.so.3 → blas/libblas.so.3, liblapack.so.3 …): link every needed library that lives only in
# a subfolder of the multiarch folder, as the loader and the linker look for it there.
libdir="$dir/usr/lib/$triplet"
# (readelf fails on the linker scripts named lib*.so: those have no NEEDED entries anyway.)
needed=$(find "$libdir" "$dir/lib/$triplet" -maxdepth 1 -name '*.so*' -type f -print0 |
    { xargs -0 -n 64 readelf -d 2>/dev/null || true; } | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
for soname in $needed; do
    for d in "$libdir" "$dir/lib/$triplet" "$dir/usr/lib" "$dir/lib"; do
        [ -e "$d/$soname" ] && continue 2
    done
    found=$(find "$libdir" -mindepth 2 -name "$soname" | sort | head -n 1)
    if [ -n "$found" ]; then
        ln -sfn "${found#"$libdir"/}" "$libdir/$soname"
    else
        echo "sysroot: warning: no $soname in $dir" >&2
    fi
done

echo "$want" >"$stamp"
echo "sysroot: $dir ready ($(du -sh --exclude=.apt "$dir" | cut -f1))"
