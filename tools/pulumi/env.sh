# Source this file (bash or zsh):  source tools/pulumi/env.sh
# Puts the locally built Pulumi CLI and language hosts (make tools -> .tools/bin) and the Python
# virtualenv (.tools/python-venv) first on PATH and
# keeps Pulumi offline and out of ~/.pulumi. It does not pick a backend: set
# PULUMI_BACKEND_URL (e.g. file://<dir>) and PULUMI_CONFIG_PASSPHRASE yourself.
if [ -n "${BASH_SOURCE:-}" ]; then
  _pulumi_env_src="${BASH_SOURCE[0]}"
elif [ -n "${ZSH_VERSION:-}" ]; then
  # shellcheck disable=SC2296
  _pulumi_env_src="${(%):-%x}"
else
  _pulumi_env_src="$0"
fi
PULUMI_TOOLS_ROOT="$(cd "$(dirname "$_pulumi_env_src")/../.." && pwd)"
unset _pulumi_env_src
export PULUMI_TOOLS_ROOT

# .tools/bin first, then the Python virtualenv (tools/python/venv.sh), as its `activate` would
# put it: the Python language host built here ignores Pulumi.yaml's runtime.options.virtualenv
# and runs the first python3 on PATH. Each is moved to the front, so sourcing again changes nothing.
_pulumi_env_prepend() {
  PATH=":$PATH:"
  PATH="${PATH//:$1:/:}"
  PATH="${PATH#:}"
  export PATH="$1:${PATH%:}"
}
_pulumi_env_prepend "$PULUMI_TOOLS_ROOT/.tools/python-venv/bin"
_pulumi_env_prepend "$PULUMI_TOOLS_ROOT/.tools/bin"
unset -f _pulumi_env_prepend

# Plugins, workspace settings and credentials go here instead of ~/.pulumi.
export PULUMI_HOME="$PULUMI_TOOLS_ROOT/.tools/pulumi-home"
# No background "new version available" check against Pulumi Cloud.
export PULUMI_SKIP_UPDATE_CHECK=true
# Never download missing plugins (the only plugins needed are next to the pulumi binary).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK is not needed: the CLI is built with its version
# (ldflags) and matches @pulumi/pulumi. For the Automation API use
#   PulumiCommand.get({ root: process.env.PULUMI_TOOLS_ROOT + "/.tools" })
