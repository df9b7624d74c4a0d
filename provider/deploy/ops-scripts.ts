/**
 * The remote scripts of the operations commands (`nixos-containers ls`,
 * `status`, `start`, `logs`, ...), as pure functions of their inputs, in the
 * line protocol of protocol.ts. Every value is quoted with shellQuote.
 */
import { shellJoin, shellQuote as sq } from "../host/shell";
import { CONF_DIR, MODULE_DIR, unitName } from "./layout";
import { PRELUDE } from "./scripts";
import { REPORT_SECRETS, SECRETS_FUNCS } from "./secrets-scripts";

/**
 * The system each running container runs: its `/run/current-system`, seen
 * from the host through the leader's root (`/proc/LEADER/root`; machined
 * knows the leaders: one `machinectl show` for all of them). A reload
 * (switch-to-configuration test inside) changes it without a restart, so the
 * conf's SYSTEM_PATH alone does not tell. Only running containers may be
 * named: machinectl stops at the first machine it does not know.
 */
const RUNNING = `
report_running() {
  [ $# -gt 0 ] || return 0
  machinectl show "$@" -p Name -p Leader 2>/dev/null | while IFS='=' read -r key value; do
    case "$key" in
      Name) machine=$value ;;
      Leader) echo "RUNNING $machine $(readlink "/proc/$value/root/run/current-system" 2>/dev/null || echo -)" ;;
    esac
  done
}
`;

/** Everything `ls` shows of some containers: module, conf, unit state, running system; one round trip. */
export function inspectContainers(names: readonly string[]): string {
  const list = names.map(sq).join(" ");
  return `set -u
${PRELUDE}${RUNNING}
for name in ${list}; do
  echo "MODULE $name $(b64 ${MODULE_DIR}/$name.nix)"
  echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
done
report_active ${list}
report_running $active_names
echo "END"
`;
}

/** Unit properties `status` shows (systemd.exec(5) names). */
export const STATUS_PROPERTIES = ["ActiveState", "SubState", "Result", "ActiveEnterTimestamp", "StateChangeTimestamp", "NRestarts", "MainPID"] as const;

/** The unit state of some containers, and the last journal lines of those that failed. */
export function unitStatus(names: readonly string[], journalLines: number): string {
  const props = STATUS_PROPERTIES.join(",");
  return `set -u
${PRELUDE}${RUNNING}${SECRETS_FUNCS}${REPORT_SECRETS}
report_active ${names.map(sq).join(" ")} >/dev/null
report_running $active_names
for name in ${names.map(sq).join(" ")}; do
  echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
  report_secrets "$name"
  systemctl show "container@$name.service" -p ${props} 2>/dev/null | sed "s/^/UNIT $name /"
  if [ "$(systemctl is-active "container@$name.service" 2>/dev/null)" = failed ]; then
    journalctl -u "container@$name.service" -n ${journalLines} --no-pager 2>/dev/null | while IFS= read -r line; do
      echo "JOURNAL $name $(printf '%s' "$line" | base64 -w0)"
    done
  fi
done
echo "END"
`;
}

export type PowerAction = "start" | "stop" | "restart";

/** `nixos-container start|stop|restart` for some containers, one after another; each reports `DID`. */
export function powerContainers(action: PowerAction, names: readonly string[]): string {
  return `set -u
${PRELUDE}
for name in ${names.map(sq).join(" ")}; do
  run_step "$name" ${action} nixos-container ${action} "$name"
done
report_active ${names.map(sq).join(" ")}
echo "END"
`;
}

/** `nixos-container run NAME -- ARGV`: the tool quotes each argument for the container's shell once more. */
export function runInContainer(name: string, argv: readonly string[]): string {
  return shellJoin(["nixos-container", "run", name, "--", ...argv]);
}

export function rootLogin(name: string): string {
  return shellJoin(["nixos-container", "root-login", name]);
}

export interface JournalOptions {
  lines?: number;
  follow: boolean;
}

/**
 * The container's journal: its own (`journalctl -M`) while it runs, the
 * host's journal of its unit otherwise. Following ends when the session's
 * stdin closes (the client went away): without a PTY nothing else would stop
 * `journalctl -f` on the host until it next writes.
 */
export function journal(name: string, o: JournalOptions): string {
  const common = ["--no-pager", ...(o.lines !== undefined ? ["-n", String(o.lines)] : []), ...(o.follow ? ["-f"] : [])].join(" ");
  const pick = `if systemctl is-active --quiet ${sq(unitName(name))}; then set -- -M ${sq(name)}; else set -- -u ${sq(unitName(name))}; fi`;
  if (!o.follow) return `${pick}\nexec journalctl "$@" ${common}\n`;
  return `${pick}
exec 3<&0
journalctl "$@" ${common} & j=$!
{ cat <&3 >/dev/null; kill $j; } >/dev/null 2>&1 &
exec 3<&-
wait $j
`;
}
