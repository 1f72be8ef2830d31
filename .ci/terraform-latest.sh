#!/usr/bin/env bash
# Prints the path of a Terraform 1.14 or later, for what older ones cannot
# do: list resources (`terraform query`), actions, and their documentation.
# Nothing else in the project needs it; `make test` runs on any Terraform
# from 1.5 on, and the tests that need a newer one skip themselves there.
#
# Looks, in this order, at
#   1. $TERRAFORM_LATEST, which must then be a Terraform 1.14 or later;
#   2. `terraform` on the PATH, if it is 1.14 or later;
#   3. a release archive terraform-<version>-linux-<arch>.xz in a folder
#      shared/terraform/ beside the repository or beside one of its parent
#      folders (this workspace keeps a 1.16 build there), unpacked once into
#      CACHE_DIR/bin/terraform-<version>;
# and fails with a message that says what to set when none is found.
#
# Usage: terraform-latest.sh [CACHE_DIR]   (default: <repo>/.cache)
# Prints the path on stdout; anything else goes to stderr.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${1:-${repo_root}/.cache}"
min_minor=14

# version_of prints a Terraform binary's version, e.g. 1.16.0-rc2.
version_of() {
	"$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p'
}

# recent_enough tells whether a version is 1.14 or later. A pre-release
# counts as its release: 1.16.0-rc2 has everything the tests need.
recent_enough() {
	local major minor
	IFS=. read -r major minor _ <<<"${1%%-*}"
	[[ "${major}" =~ ^[0-9]+$ && "${minor}" =~ ^[0-9]+$ ]] || return 1
	((major > 1 || (major == 1 && minor >= min_minor)))
}

if [[ -n "${TERRAFORM_LATEST:-}" ]]; then
	version="$(version_of "${TERRAFORM_LATEST}" || true)"
	if [[ -z "${version}" ]]; then
		echo "terraform-latest: TERRAFORM_LATEST=${TERRAFORM_LATEST} is not a Terraform binary that runs here." >&2
		exit 1
	fi
	if ! recent_enough "${version}"; then
		echo "terraform-latest: TERRAFORM_LATEST is Terraform ${version}; it must be 1.${min_minor} or later." >&2
		exit 1
	fi
	echo "${TERRAFORM_LATEST}"
	exit 0
fi

on_path=""
if command -v terraform >/dev/null 2>&1; then
	on_path="$(version_of terraform || true)"
	if [[ -n "${on_path}" ]] && recent_enough "${on_path}"; then
		command -v terraform
		exit 0
	fi
fi

case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) arch="" ;;
esac

archive=""
if [[ -n "${arch}" ]]; then
	dir="${repo_root}"
	while [[ -z "${archive}" ]]; do
		parent="$(dirname "${dir}")"
		for candidate in "${parent}"/shared/terraform/terraform-*-linux-"${arch}".xz; do
			[[ -f "${candidate}" ]] || continue
			# Several archives: take the newest version.
			if [[ -z "${archive}" ]] || [[ "$(printf '%s\n%s\n' "${archive}" "${candidate}" | sort -V | tail -n1)" == "${candidate}" ]]; then
				archive="${candidate}"
			fi
		done
		[[ "${parent}" == "${dir}" ]] && break
		dir="${parent}"
	done
fi

if [[ -n "${archive}" ]]; then
	name="$(basename "${archive}" .xz)"
	version="${name#terraform-}"
	version="${version%-linux-*}"
	bin="${cache_dir}/bin/terraform-${version}"
	if [[ ! -x "${bin}" ]]; then
		mkdir -p "${cache_dir}/bin"
		echo "terraform-latest: unpacking ${archive} into ${bin}" >&2
		xz -dc "${archive}" >"${bin}.partial"
		chmod +x "${bin}.partial"
		mv "${bin}.partial" "${bin}"
	fi
	found="$(version_of "${bin}" || true)"
	if [[ -n "${found}" ]] && recent_enough "${found}"; then
		echo "${bin}"
		exit 0
	fi
	echo "terraform-latest: ${archive} did not unpack into a working Terraform 1.${min_minor} or later." >&2
fi

{
	echo "terraform-latest: no Terraform 1.${min_minor} or later found (on the PATH: ${on_path:-none})."
	echo "  Install one and put it on the PATH, or set TERRAFORM_LATEST=/path/to/terraform."
} >&2
exit 1
