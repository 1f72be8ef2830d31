#!/usr/bin/env bash
# Validates every example directory with the provider in bin/ (make build),
# through a private dev_overrides CLI configuration, in a temporary copy of
# examples/ so the working tree is left untouched. Documentation examples
# carry no terraform block, so one is added to the copy where it is missing.
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

export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
terraform fmt -check -recursive examples
failed=0
for dir in $(find examples -name '*.tf' -printf '%h\n' | sort -u); do
  copy="$work/$dir"
  if ! grep -qs required_providers "$copy"/*.tf; then
    printf 'terraform {\n  required_providers {\n    plexmcp = { source = "plexmcp/plexmcp" }\n  }\n}\n' > "$copy/zz_versions.tf"
  fi
  export TF_DATA_DIR="$work/data/${dir//\//_}"
  if (cd "$copy" && terraform get >/dev/null && terraform validate -no-color >"$work/out" 2>&1); then
    echo "ok   $dir"
  else
    echo "FAIL $dir"
    cat "$work/out"
    failed=1
  fi
done
exit "$failed"
