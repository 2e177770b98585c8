#!/usr/bin/env bash
# Builds the Terraform toolchain from pinned Go modules and caches it outside the checkout.
#
# Why: no terraform/OpenTofu/tflint package is reachable from our machines, only the Go module
# proxy. Each tool is built once per pinned version into $TOOLS_CACHE/<name>-<version>/ together
# with a sha256 file; a later run reuses it, a changed pin builds a new folder.
#
#   infra/scripts/tools.sh            build what is missing, then print the env to use
#   infra/scripts/tools.sh --env      only print the env lines (for `eval`)
#   infra/scripts/tools.sh --check    exit 3 when a tool is missing (no build)
#
# Both engines are supported and tested: OpenTofu (built here) and HashiCorp Terraform, which
# cannot be built or downloaded here (BUSL; releases.hashicorp.com is not reachable) and comes
# from the machine image at $TERRAFORM_BIN. Its version is pinned: another version fails --check.
set -euo pipefail

OPENTOFU_VERSION="${OPENTOFU_VERSION:-v1.10.10}"
TERRAFORM_VERSION="${TERRAFORM_VERSION:-1.11.4}"
TERRAFORM_BIN="${TERRAFORM_BIN:-/usr/local/bin/terraform}"
TFLINT_VERSION="${TFLINT_VERSION:-v0.61.0}"
# The AWS provider cannot be built here: the Go module proxy refuses every commit of
# github.com/hashicorp/terraform-provider-aws (only the 2019 v1.60.0 is served). The machine image
# ships a signed release binary as a filesystem mirror; we verify and re-export that one.
AWS_PROVIDER_VERSION="${AWS_PROVIDER_VERSION:-5.100.0}"
AWS_PROVIDER_SOURCE_DIR="${AWS_PROVIDER_SOURCE_DIR:-/opt/tf-plugins/registry.terraform.io/hashicorp/aws}"

TOOLS_CACHE="${TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sre-monorepo/tools}"
# The provider build is memory hungry and the machine has 2 cores: keep go to one job per core.
export GOFLAGS="${GOFLAGS:--buildvcs=false} -p=${TOOLS_BUILD_JOBS:-2}"
export CGO_ENABLED=0

log() { printf '[tools] %s\n' "$*" >&2; }
die() { printf '[tools] ERROR: %s\n' "$*" >&2; exit 1; }

tofu_dir="$TOOLS_CACHE/opentofu-$OPENTOFU_VERSION"
tflint_dir="$TOOLS_CACHE/tflint-$TFLINT_VERSION"
mirror_dir="$TOOLS_CACHE/provider-mirror-aws-$AWS_PROVIDER_VERSION"
cli_config="$TOOLS_CACHE/tofurc-aws-$AWS_PROVIDER_VERSION"

print_env() {
  cat <<ENV
export PATH="$tofu_dir/bin:$tflint_dir/bin:\$PATH"
export TF_CLI_CONFIG_FILE="$cli_config"
export TF_PLUGIN_CACHE_DIR=
export TFLINT_PLUGIN_DIR="$tflint_dir/plugins"
export SRE_TERRAFORM_BIN="$TERRAFORM_BIN"
export SRE_TERRAFORM_VERSION="$TERRAFORM_VERSION"
ENV
}

# check_terraform: the pinned HashiCorp Terraform is present (it is not built here).
check_terraform() {
  [[ -x $TERRAFORM_BIN ]] || { log "missing: HashiCorp Terraform $TERRAFORM_VERSION at $TERRAFORM_BIN (set TERRAFORM_BIN)"; return 1; }
  local found
  found=$("$TERRAFORM_BIN" version -json 2>/dev/null | sed -n 's/^[[:space:]]*"terraform_version": "\(.*\)",$/\1/p')
  [[ $found == "$TERRAFORM_VERSION" ]] || { log "Terraform at $TERRAFORM_BIN is $found, pinned $TERRAFORM_VERSION"; return 1; }
}

is_built() { [[ -x $1/bin/$2 && -f $1/bin/$2.sha256 ]] && (cd "$1/bin" && sha256sum --status -c "$2.sha256"); }

# build_go_module MODULE VERSION DEST BINARY PACKAGE
# `go install mod@version` refuses modules with replace directives, so: download the module zip,
# copy it out of the read-only module cache and build inside it (its replaces then apply).
build_go_module() {
  local module=$1 version=$2 dest=$3 binary=$4 package=$5
  if is_built "$dest" "$binary"; then log "$binary $version: cached in $dest"; return; fi
  command -v go >/dev/null || die "go is not installed; it is needed to build $binary"
  log "$binary $version: downloading $module"
  local src started
  src=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -n $src && -d $src ]] || die "could not download $module@$version from the Go module proxy"
  local work; work=$(mktemp -d "${TMPDIR:-/tmp}/build-$binary.XXXXXX")
  # shellcheck disable=SC2064 # expand now: the trap must remove this build's folder
  trap "rm -rf '$work'" RETURN
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  log "$binary $version: building (GOFLAGS=$GOFLAGS), this takes minutes on a cold cache"
  started=$(date +%s)
  mkdir -p "$dest/bin.partial"
  (cd "$work" && /usr/bin/time -f "[tools] $binary: peak RSS %M KiB, %e s" \
      go build -trimpath -ldflags="-s -w" -o "$dest/bin.partial/$binary" "$package") \
    || die "build of $binary $version failed"
  (cd "$dest/bin.partial" && sha256sum "$binary" > "$binary.sha256")
  rm -rf "$dest/bin" && mv "$dest/bin.partial" "$dest/bin"
  log "$binary $version: built in $(( $(date +%s) - started )) s, $(du -h "$dest/bin/$binary" | cut -f1)"
}

install_provider_mirror() {
  local bin_name="terraform-provider-aws_v${AWS_PROVIDER_VERSION}_x5"
  local src="$AWS_PROVIDER_SOURCE_DIR/$AWS_PROVIDER_VERSION/linux_amd64/$bin_name"
  if [[ ! -x $src ]]; then
    die "AWS provider $AWS_PROVIDER_VERSION not found at $src. The Go module proxy here refuses terraform-provider-aws commits, so it cannot be built; set AWS_PROVIDER_SOURCE_DIR to an unpacked provider mirror."
  fi
  # One mirror answers both engines: OpenTofu resolves hashicorp/aws on registry.opentofu.org,
  # Terraform on registry.terraform.io.
  local host
  for host in registry.opentofu.org registry.terraform.io; do
    local d="$mirror_dir/$host/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64"
    mkdir -p "$d"
    [[ -e $d/$bin_name ]] || cp "$src" "$d/$bin_name"
  done
  (cd "$mirror_dir" && find . -type f -name 'terraform-provider-*' -exec sha256sum {} + > SHA256SUMS.partial && mv SHA256SUMS.partial SHA256SUMS)
  cat > "$cli_config.partial" <<CFG
# Generated by infra/scripts/tools.sh: install providers only from the local mirror (no registry here).
provider_installation {
  filesystem_mirror {
    path    = "$mirror_dir"
    include = ["*/*/*"]
  }
  direct {
    exclude = ["*/*/*"]
  }
}
CFG
  mv "$cli_config.partial" "$cli_config"
  log "aws provider $AWS_PROVIDER_VERSION: mirror at $mirror_dir"
}

check_all() {
  local missing=0
  is_built "$tofu_dir" tofu || { log "missing: OpenTofu $OPENTOFU_VERSION"; missing=1; }
  is_built "$tflint_dir" tflint || { log "missing: tflint $TFLINT_VERSION"; missing=1; }
  [[ -f $cli_config ]] || { log "missing: AWS provider mirror"; missing=1; }
  check_terraform || missing=1
  return $missing
}

case "${1:-}" in
  --env) print_env; exit 0 ;;
  --check) check_all || exit 3; exit 0 ;;
  -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
esac

mkdir -p "$TOOLS_CACHE"
install_provider_mirror
build_go_module github.com/terraform-linters/tflint "$TFLINT_VERSION" "$tflint_dir" tflint .
mkdir -p "$tflint_dir/plugins"
build_go_module github.com/opentofu/opentofu "$OPENTOFU_VERSION" "$tofu_dir" tofu ./cmd/tofu
check_terraform || die "HashiCorp Terraform $TERRAFORM_VERSION is needed at $TERRAFORM_BIN (the tests run both engines)"
log "all tools ready; use: eval \"\$($0 --env)\""
