#!/usr/bin/env bash
# Validates every example directory with the provider in bin/ (make build),
# through a private dev_overrides CLI configuration, in a temporary copy of
# examples/ so the working tree is left untouched. Documentation examples
# carry no terraform block, so one is added to the copy where it is missing.
#
# Examples of actions, list resources and imports by identity need a newer
# Terraform than 1.11 (1.14 or later for the first two): the
# newest Terraform .ci/terraform-latest.sh finds validates everything
# (terraform validate -query for the .tfquery.hcl files); without one, the
# terraform on the PATH validates the rest and the others are named as
# skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/plexmcp/plexmcp" = "$PWD/bin"
  }
  direct {}
}
RC
cp -r examples "$work/examples"

tf=terraform
recent=0
if latest=$(bash .ci/terraform-latest.sh 2>/dev/null); then
  tf=$latest
  recent=1
fi
echo "validating with $("$tf" version | head -n1)"

export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
"$tf" fmt -check -recursive examples
failed=0
for dir in $(find examples \( -name '*.tf' -o -name '*.tfquery.hcl' \) -printf '%h\n' | sort -u); do
  copy="$work/$dir"
  needs_recent=0
  # Actions and list resources need 1.14; import blocks by identity, 1.12.
  if grep -qs -e '^action ' -e '^  identity = {' "$copy"/*.tf || compgen -G "$copy/*.tfquery.hcl" >/dev/null; then
    needs_recent=1
  fi
  if [ "$needs_recent" = 1 ] && [ "$recent" = 0 ]; then
    echo "skip $dir (needs a newer Terraform; see .ci/terraform-latest.sh)"
    continue
  fi
  if ! grep -qs required_providers "$copy"/*.tf; then
    printf 'terraform {\n  required_providers {\n    plexmcp = { source = "plexmcp/plexmcp" }\n  }\n}\n' > "$copy/zz_versions.tf"
  fi
  args=()
  if compgen -G "$copy/*.tfquery.hcl" >/dev/null; then
    args=(-query)
  fi
  export TF_DATA_DIR="$work/data/${dir//\//_}"
  if (cd "$copy" && "$tf" get >/dev/null && "$tf" validate -no-color "${args[@]}" >"$work/out" 2>&1); then
    echo "ok   $dir"
  else
    echo "FAIL $dir"
    cat "$work/out"
    failed=1
  fi
done
exit "$failed"
