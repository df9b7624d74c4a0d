# Source this: the locally built Pulumi CLI, offline, with a local file backend.
#   STATE_DIR   where stacks are kept (default .state/pulumi)
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$_root/tools/pulumi/env.sh"
export PULUMI_BACKEND_URL="file://${STATE_DIR:-$_root/.state/pulumi}"
mkdir -p "${PULUMI_BACKEND_URL#file://}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-demo-passphrase}"
unset _root
