# Sourced by the scripts that run cargo: installs the nightly pinned in
# rust-toolchain.toml, with the components and target it lists, when it is
# missing (rustup 1.28 and later no longer do this on first use). Quiet, and
# a few milliseconds, when the toolchain is there.
command -v rustup >/dev/null || { echo "rustup is required (https://rustup.rs)" >&2; exit 1; }
rustup -q toolchain install
