#!/usr/bin/env bash
# Builds the OpenTofu CLI from its Go module, once, for `make testacc-tofu`.
#
# `go install github.com/opentofu/opentofu/cmd/tofu@VERSION` refuses because
# OpenTofu's go.mod has a replace directive, and no release binary can be
# downloaded here. So we fetch the module through the Go module proxy, copy it
# to a writable scratch folder outside this repository (the module cache is
# read-only) and build ./cmd/tofu inside it, where its own go.mod and
# replaces apply. Only the binary is kept; Go's build cache makes a rebuild
# quick.
#
# Usage: build-tofu.sh [CACHE_DIR]   (default: <repo>/.cache)
# Env:   TOFU_VERSION (default v1.12.6)
# Prints the path of the binary on stdout; progress goes to stderr.
set -euo pipefail

TOFU_VERSION="${TOFU_VERSION:-v1.12.6}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${1:-${repo_root}/.cache}"
mkdir -p "${cache_dir}"
cache_dir="$(cd "${cache_dir}" && pwd)" # absolute: the build runs elsewhere
bin_dir="${cache_dir}/bin"
bin="${bin_dir}/tofu"
stamp="${bin}.version"

# Reuse the binary when it was built from the wanted version.
if [[ -x "${bin}" && -f "${stamp}" && "$(<"${stamp}")" == "${TOFU_VERSION}" ]]; then
	echo "${bin}"
	exit 0
fi

mkdir -p "${bin_dir}"
echo "build-tofu: building OpenTofu ${TOFU_VERSION} into ${bin} (this takes several minutes)" >&2
start=${SECONDS}

# Download outside any module so this repository's go.mod and go.sum stay untouched.
scratch="$(mktemp -d)"
trap 'chmod -R u+w "${scratch}" 2>/dev/null; rm -rf "${scratch}"' EXIT
src="${scratch}/tofu-${TOFU_VERSION}"
mod_dir="$(cd "${scratch}" && GOWORK=off GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@${TOFU_VERSION}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [[ -z "${mod_dir}" || ! -f "${mod_dir}/go.mod" ]]; then
	echo "build-tofu: could not download github.com/opentofu/opentofu@${TOFU_VERSION}" >&2
	exit 1
fi

cp -R "${mod_dir}" "${src}"
chmod -R u+w "${src}"

# version.dev=no makes `tofu version` print 1.12.6 rather than 1.12.6-dev,
# as a release build does; the test harness compares versions.
# -buildvcs=false: the copy is not a git checkout of OpenTofu.
(
	cd "${src}"
	GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
		-o "${bin}.tmp" ./cmd/tofu
)
mv "${bin}.tmp" "${bin}"
printf '%s\n' "${TOFU_VERSION}" > "${stamp}"
echo "build-tofu: built in $((SECONDS - start))s" >&2
echo "${bin}"
