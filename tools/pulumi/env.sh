# Source this file (bash or zsh):  source tools/pulumi/env.sh
# Puts the locally built Pulumi CLI (tools/pulumi/build.sh -> .tools/bin) first on PATH and
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

# .tools/bin first (once, even if sourced repeatedly).
case ":$PATH:" in
  ":$PULUMI_TOOLS_ROOT/.tools/bin:"*) ;;
  *) export PATH="$PULUMI_TOOLS_ROOT/.tools/bin:$PATH" ;;
esac

# Plugins, workspace settings and credentials go here instead of ~/.pulumi.
export PULUMI_HOME="$PULUMI_TOOLS_ROOT/.tools/pulumi-home"
# No background "new version available" check against Pulumi Cloud.
export PULUMI_SKIP_UPDATE_CHECK=true
# Never download missing plugins (the only plugins needed are next to the pulumi binary).
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK is not needed: the CLI is built with its version
# (ldflags) and matches @pulumi/pulumi. For the Automation API use
#   PulumiCommand.get({ root: process.env.PULUMI_TOOLS_ROOT + "/.tools" })
