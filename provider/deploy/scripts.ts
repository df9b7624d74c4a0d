/**
 * The remote shell scripts of a deployment round, as pure functions of their
 * inputs. Every value is quoted with shellQuote; container names are
 * validated before they get here and are quoted anyway. Output is
 * line-oriented (`KEYWORD name value`) and parsed by protocol.ts.
 */
import { shellQuote as sq } from "../host/shell";
import { CONF_DIR, INDEX_FILE, JOURNAL_DIR, LOCK_DIR, MODULE_DIR, OWNER_DIR, STATE_DIR } from "./layout";
import { REPORT_SECRETS, SECRETS_FUNCS } from "./secrets-scripts";

/**
 * Shared helpers: base64 of a file or `-` when it does not exist; the unit
 * state of several containers from one systemctl call (one line per unit, in
 * order; names are validated, so the unquoted list splits only at spaces;
 * the active ones are left in $active_names);
 * a step whose output is indented and whose status is reported (`DID`).
 */
export const PRELUDE = `
b64() { if [ -e "$1" ]; then base64 -w0 < "$1"; echo; else echo -; fi; }
report_active() {
  [ $# -gt 0 ] || return 0
  units=; for n in "$@"; do units="$units container@$n.service"; done
  states=$(systemctl is-active $units 2>/dev/null)
  i=1; active_names=
  for n in "$@"; do
    state=$(printf '%s\\n' "$states" | sed -n "\${i}p"); i=$((i + 1))
    echo "ACTIVE $n $state"
    [ "$state" != active ] || active_names="$active_names $n"
  done
}
run_step() { # run_step NAME WHAT COMMAND...: run it, indent its output, report its status
  name=$1; what=$2; shift 2
  out=$("$@" 2>&1); rc=$?
  [ -z "$out" ] || printf '%s\\n' "$out" | sed 's/^/  | /'
  # systemctl only says "Job … failed": the unit's journal says why (e.g. systemd-nspawn's message).
  [ $rc -eq 0 ] || [ "$what" = update ] || systemctl status --no-pager --lines=10 "container@$name.service" 2>&1 | sed 's/^/  | /'
  echo "DID $name $what $rc"
}
report_units() { # each container's unit as systemd has it (unit-change.ts compares them)
  for n in "$@"; do echo "UNITFILE $n $(systemctl cat container@$n.service 2>/dev/null | base64 -w0)"; done
}
clear_journal() { # the round is settled for these containers: forget their previous modules
  for n in "$@"; do rm -rf ${JOURNAL_DIR}/$n.prev ${JOURNAL_DIR}/$n.absent ${JOURNAL_DIR}/$n.owner-prev ${JOURNAL_DIR}/$n.owner-absent ${JOURNAL_DIR}/$n.secrets-prev ${JOURNAL_DIR}/$n.secrets-absent; done
}
is_flake_host() { [ -e /etc/nixos/flake.nix ]; }
stage_for_flake() { if is_flake_host && git -C /etc/nixos rev-parse --is-inside-work-tree >/dev/null 2>&1; then git -C /etc/nixos add -A -- pulumi-containers >/dev/null; fi; }
`;

/** Restore the modules of an interrupted run from the journal, so the host is back at its last applied state. */
const RECOVER = `
recover_journal() {
  [ -d ${JOURNAL_DIR} ] || return 0
  for entry in ${JOURNAL_DIR}/*; do
    [ -e "$entry" ] || continue
    base=\${entry##*/}
    case "$base" in
      *.prev) name=\${base%.prev}; cp -p "$entry" "${MODULE_DIR}/.$name.nix.recover" && mv -f "${MODULE_DIR}/.$name.nix.recover" "${MODULE_DIR}/$name.nix" ;;
      *.absent) name=\${base%.absent}; rm -f "${MODULE_DIR}/$name.nix" ;;
      # The owner record goes back with its module (reported with it, as RECOVERED of the module).
      *.owner-prev) name=\${base%.owner-prev}; cp -p "$entry" "${OWNER_DIR}/.$name.json.recover" && mv -f "${OWNER_DIR}/.$name.json.recover" "${OWNER_DIR}/$name.json"; rm -f "$entry"; continue ;;
      *.owner-absent) name=\${base%.owner-absent}; rm -f "${OWNER_DIR}/$name.json"; rm -f "$entry"; continue ;;
      # And its secret files (secrets-scripts.ts).
      *.secrets-prev) restore_secrets "\${base%.secrets-prev}"; continue ;;
      *.secrets-absent) restore_secrets "\${base%.secrets-absent}"; continue ;;
      *) continue ;;
    esac
    rm -f "$entry"
    echo "RECOVERED $name"
  done
  stage_for_flake
}
`;

export interface LockParams {
  /** Unique token of this process's lease. */
  token: string;
  /** Who holds it, for the messages of whoever waits. */
  holder: string;
  leaseSeconds: number;
}

/**
 * Take (or renew) the host lock, then report everything the round needs to
 * know before it changes anything. Prints `LOCK busy <expiry> <holder>` and
 * stops when someone else holds a live lease.
 */
export function acquireAndInspect(lock: LockParams, names: readonly string[]): string {
  return `set -u
${PRELUDE}${SECRETS_FUNCS}${RECOVER}
now=$(date +%s)
token=${sq(lock.token)}
lease() { printf '%s %s %s\\n' $((now + ${lock.leaseSeconds})) "$token" ${sq(lock.holder)}; }
# The lock directory appears with its lease already inside (renamed into place), so nobody ever
# sees a lock without its holder, even if this script is cut off half-way.
new=${LOCK_DIR}.new.$$
take() { rm -rf "$new" && mkdir "$new" && lease > "$new/lease" && [ ! -e ${LOCK_DIR} ] && mv -T "$new" ${LOCK_DIR} 2>/dev/null; }
mkdir -p ${sq(LOCK_DIR.replace(/\/[^/]+$/, ""))}
if take; then
  echo "LOCK acquired"
else
  rm -rf "$new"
  # No lease: a directory left by an older provider version (mkdir, then the lease); only one
  # older than a minute is an abandoned one.
  read -r expiry owner holder < ${LOCK_DIR}/lease 2>/dev/null || { expiry=$(( $(stat -c %Y ${LOCK_DIR} 2>/dev/null || echo 0) + 60 )); owner=; holder="another deployment (taking the lock)"; }
  if [ "$owner" = "$token" ]; then
    lease > ${LOCK_DIR}/lease.new && mv -f ${LOCK_DIR}/lease.new ${LOCK_DIR}/lease
    echo "LOCK renewed"
  elif [ "$now" -ge "$expiry" ]; then
    mv -T ${LOCK_DIR} ${LOCK_DIR}.stale.$$ 2>/dev/null && rm -rf ${LOCK_DIR}.stale.$$
    if take; then echo "LOCK stale-taken $holder"; else rm -rf "$new"; echo "LOCK busy 0 racing"; exit 0; fi
  else
    echo "LOCK busy $expiry $holder"
    exit 0
  fi
fi
recover_journal
echo "HOSTNAME $(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"
if is_flake_host; then echo "FLAKE yes"; else echo "FLAKE no"; fi
if grep -qs 'pulumi-containers' /etc/nixos/configuration.nix /etc/nixos/flake.nix; then echo "IMPORTED yes"; else echo "IMPORTED no"; fi
if [ -d ${MODULE_DIR} ] && [ ! -w ${MODULE_DIR} ]; then echo "WRITABLE no"; else echo "WRITABLE yes"; fi
# How many containers the provider manages on this host, for the summary line ("10 containers: 8 unchanged").
managed=0; for f in ${MODULE_DIR}/*.nix; do [ -e "$f" ] && [ "\${f##*/}" != default.nix ] && managed=$((managed + 1)); done; echo "MANAGED $managed"
for name in ${names.map(sq).join(" ")}; do
  echo "MODULE $name $(b64 ${MODULE_DIR}/$name.nix)"
  echo "OWNER $name $(b64 ${OWNER_DIR}/$name.json)"
  echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
done
report_active ${names.map(sq).join(" ")}
report_units ${names.map(sq).join(" ")}
echo "END"
`;
}

/** Give the lock back, if it is still ours (also the last step of afterSwitch). */
export function releaseLock(token: string): string {
  return `if read -r expiry owner holder < ${LOCK_DIR}/lease 2>/dev/null && [ "$owner" = ${sq(token)} ]; then rm -rf ${LOCK_DIR}; echo "LOCK released"; fi
`;
}

export interface FileWrite {
  name: string;
  /** New content; undefined removes the module. */
  bytes?: number;
  sha256?: string;
  /** The owner record to write with the new module (ownership.ts); undefined removes it. */
  owner?: string;
}

/**
 * Journal the current modules, then replace them: each new file is read from
 * stdin (exactly `bytes` bytes, in order), checked against its sha256,
 * fsynced and renamed over the old one. A cut connection leaves at most a
 * temporary file, never a truncated module.
 */
export function writeModules(writes: readonly FileWrite[], indexBytes: number, indexSha: string): string {
  const steps = writes.map((w) =>
    w.bytes === undefined ? `remove_module ${sq(w.name)}` : `write_module ${sq(w.name)} ${w.bytes} ${sq(w.sha256!)}${w.owner === undefined ? "" : ` ${sq(w.owner)}`}`,
  );
  return `set -eu
${PRELUDE}
umask 077
mkdir -p ${MODULE_DIR} ${JOURNAL_DIR} ${OWNER_DIR}
receive() { # receive DEST BYTES SHA256: exactly BYTES bytes of stdin into DEST, verified
  tmp="$1.tmp.$$"
  dd of="$tmp" bs=65536 count="$2" iflag=count_bytes,fullblock status=none
  if ! echo "$3  $tmp" | sha256sum -c --status; then rm -f "$tmp"; echo "FAILED receive $1: content incomplete or corrupted in transfer"; exit 3; fi
  chmod 0600 "$tmp"; chown 0:0 "$tmp" 2>/dev/null || true; sync "$tmp"; mv -f "$tmp" "$1"
}
journal() { # remember what the module was before this round, once
  [ -e ${JOURNAL_DIR}/$1.prev ] || [ -e ${JOURNAL_DIR}/$1.absent ] && return 0
  if [ -e ${MODULE_DIR}/$1.nix ]; then cp -p ${MODULE_DIR}/$1.nix ${JOURNAL_DIR}/$1.prev; sync ${JOURNAL_DIR}/$1.prev; else : > ${JOURNAL_DIR}/$1.absent; fi
}
journal_owner() { # the owner record too: a rolled-back module gets its owner back
  [ -e ${JOURNAL_DIR}/$1.owner-prev ] || [ -e ${JOURNAL_DIR}/$1.owner-absent ] && return 0
  if [ -e ${OWNER_DIR}/$1.json ]; then cp -p ${OWNER_DIR}/$1.json ${JOURNAL_DIR}/$1.owner-prev; else : > ${JOURNAL_DIR}/$1.owner-absent; fi
}
set_owner() { # set_owner NAME [RECORD]: write the record atomically, or remove it
  journal_owner "$1"
  if [ $# -gt 1 ]; then printf '%s\n' "$2" > ${OWNER_DIR}/.$1.json.tmp.$$; sync ${OWNER_DIR}/.$1.json.tmp.$$; mv -f ${OWNER_DIR}/.$1.json.tmp.$$ ${OWNER_DIR}/$1.json; else rm -f ${OWNER_DIR}/$1.json; fi
}
write_module() { journal "$1"; receive "${MODULE_DIR}/.$1.nix" "$2" "$3"; mv -f "${MODULE_DIR}/.$1.nix" "${MODULE_DIR}/$1.nix"; n=$1; shift 3; set_owner "$n" "$@"; echo "WROTE $n"; }
remove_module() { journal "$1"; rm -f "${MODULE_DIR}/$1.nix"; set_owner "$1"; echo "REMOVED $1"; }
receive "${MODULE_DIR}/.default.nix" ${indexBytes} ${sq(indexSha)}; mv -f "${MODULE_DIR}/.default.nix" ${INDEX_FILE}
${steps.join("\n")}
sync ${MODULE_DIR} ${JOURNAL_DIR} ${OWNER_DIR} 2>/dev/null || sync
stage_for_flake
echo "END"
`;
}

/**
 * Put the journalled modules of `names` back (their change failed). With
 * `profileLink` (the `system` profile link from before a rebuild that
 * activated nothing), also point the boot default back at it: nixos-rebuild
 * switch/boot sets the profile before switch-to-configuration, which may then
 * fail (the switch lock), and the host must not boot a change that failed.
 */
export function revertModules(names: readonly string[], profileLink?: string): string {
  const profile =
    profileLink === undefined
      ? ""
      : `p=/nix/var/nix/profiles
if [ -e "$p/"${sq(profileLink)} ] && [ "$(readlink $p/system)" != ${sq(profileLink)} ]; then ln -sfn ${sq(profileLink)} $p/.system.pulumi-restore && mv -Tf $p/.system.pulumi-restore $p/system && echo "PROFILE_RESTORED "${sq(profileLink)}; fi
`;
  return `set -u
${PRELUDE}${SECRETS_FUNCS}
for name in ${names.map(sq).join(" ")}; do
  restore_secrets "$name"
  if [ -e ${JOURNAL_DIR}/$name.prev ]; then cp -p ${JOURNAL_DIR}/$name.prev ${MODULE_DIR}/.$name.nix.revert && mv -f ${MODULE_DIR}/.$name.nix.revert ${MODULE_DIR}/$name.nix; rm -f ${JOURNAL_DIR}/$name.prev; echo "REVERTED $name";
  elif [ -e ${JOURNAL_DIR}/$name.absent ]; then rm -f ${MODULE_DIR}/$name.nix ${JOURNAL_DIR}/$name.absent; echo "REVERTED $name"; fi
  if [ -e ${JOURNAL_DIR}/$name.owner-prev ]; then cp -p ${JOURNAL_DIR}/$name.owner-prev ${OWNER_DIR}/.$name.json.revert && mv -f ${OWNER_DIR}/.$name.json.revert ${OWNER_DIR}/$name.json; rm -f ${JOURNAL_DIR}/$name.owner-prev;
  elif [ -e ${JOURNAL_DIR}/$name.owner-absent ]; then rm -f ${OWNER_DIR}/$name.json ${JOURNAL_DIR}/$name.owner-absent; fi
done
sync ${MODULE_DIR} 2>/dev/null || sync
stage_for_flake
${profile}echo "END"
`;
}

export const REBUILD_MARK = "__PULUMI_NIXOS_CONTAINERS_REBUILD_EXIT__";

/**
 * Held (flock) by every nixos-rebuild the provider starts, for as long as it
 * runs. A rebuild whose connection was lost keeps running on the host; the
 * next run's rebuild waits for it, so an older rebuild can never activate
 * after a newer one.
 */
export const REBUILD_LOCK = `${LOCK_DIR}.rebuild`;

/**
 * Run nixos-rebuild (bounded by `timeout` on the host too, so a hung rebuild
 * cannot outlive a lost connection), then report the containers' confs and
 * unit states as the new configuration left them, and the boot default
 * (`system` profile link) from before the rebuild.
 */
export function rebuild(action: string, timeoutSeconds: number, names: readonly string[]): string {
  return `set -u
${PRELUDE}
report() { # report EXIT: the rebuild's exit status, then what the new configuration declares
  echo "${REBUILD_MARK} $1"
  for name in ${names.map(sq).join(" ")}; do
    echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
  done
  report_active ${names.map(sq).join(" ")}
  report_units ${names.map(sq).join(" ")}
  echo "SYSPROFILE $prev"
  echo "END"
}
prev=-
exec 9>>${REBUILD_LOCK}
if ! flock -n 9; then
  echo "waiting for an earlier nixos-rebuild started by pulumi-nixos-containers to finish (its connection was lost)"
  if ! flock -w ${timeoutSeconds + 40} 9; then
    echo "error: an earlier nixos-rebuild started by pulumi-nixos-containers is still running after ${timeoutSeconds + 40} s"
    report 124
    exit 0
  fi
fi
prev=$(readlink /nix/var/nix/profiles/system 2>/dev/null || echo -)
timeout -k 30 ${timeoutSeconds} nixos-rebuild ${sq(action)} 2>&1
report $?
`;
}

export type PostAction = "reload" | "restart" | "update" | "none";

/** What to do to a container after the switch, and whether to remove its data. */
export interface PostStep {
  name: string;
  action: PostAction;
  /** Only for removed containers: delete /var/lib/nixos-containers/NAME and its profiles. */
  deleteData?: boolean;
  /** Only for removed containers: wait until the unit has stopped. */
  awaitStop?: boolean;
  /** Only for "update" (flake containers): restart it afterwards if it runs (new start settings). */
  restartAfter?: boolean;
}

/**
 * Bring running containers onto their new system (reference E.3, D.3),
 * remove data where asked, clear the journal of the round, and report each
 * container's final state.
 */
export function afterSwitch(steps: readonly PostStep[], clearJournalFor: readonly string[], releaseToken?: string, secretsTail = ""): string {
  const lines = steps.map((s) => {
    const name = sq(s.name);
    const unit = sq(`container@${s.name}.service`);
    const parts: string[] = [];
    if (s.action === "update") parts.push(`run_step ${name} update nixos-container update ${name}`);
    else if (s.action !== "none") parts.push(`if systemctl is-active --quiet ${unit}; then run_step ${name} ${s.action} systemctl ${s.action} ${unit}; fi`);
    if (s.action === "update" && s.restartAfter) parts.push(`if systemctl is-active --quiet ${unit}; then run_step ${name} restart systemctl restart ${unit}; fi`);
    if (s.awaitStop) parts.push(`i=0; while systemctl is-active --quiet ${unit} && [ $i -lt 120 ]; do sleep 0.5; i=$((i+1)); done`);
    if (s.deleteData) {
      parts.push(
        `if [ -e ${CONF_DIR}/${s.name}.conf ]; then echo "DATA ${s.name} kept-still-declared"; elif systemctl is-active --quiet ${unit}; then echo "DATA ${s.name} kept-still-running"; else chattr -i ${STATE_DIR}/${s.name}/var/empty 2>/dev/null; rm -rf --one-file-system ${STATE_DIR}/${s.name} /nix/var/nix/profiles/per-container/${s.name} /nix/var/nix/gcroots/per-container/${s.name}; echo "DATA ${s.name} removed"; fi`,
      );
    }
    return parts.join("\n");
  });
  return `set -u
${PRELUDE}
${lines.join("\n")}
${secretsTail}
for name in ${steps.map((s) => sq(s.name)).join(" ")}; do
  echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
  echo "PROFILE $name $(readlink -f /nix/var/nix/profiles/per-container/$name/system 2>/dev/null || echo -)"
done
report_active ${steps.map((s) => sq(s.name)).join(" ")}
clear_journal ${clearJournalFor.map(sq).join(" ")}
${releaseToken === undefined ? "" : releaseLock(releaseToken)}echo "END"
`;
}

/**
 * The end of a round whose containers were health-checked (health-gate.ts): stop the created
 * containers that failed, start again those that ran before a rollback and did not come back,
 * clear the journal of the checked containers, give the lock back.
 */
export function settleGate(stop: readonly string[], start: readonly string[], clearJournalFor: readonly string[], releaseToken: string): string {
  return `set -u
${PRELUDE}
${stop.map((n) => `run_step ${sq(n)} stop systemctl stop ${sq(`container@${n}.service`)}`).join("\n")}
${start.map((n) => `run_step ${sq(n)} start systemctl start ${sq(`container@${n}.service`)}`).join("\n")}
clear_journal ${clearJournalFor.map(sq).join(" ")}
${releaseLock(releaseToken)}echo "END"
`;
}

/** Everything refresh needs about some containers, in one round trip. */
export function readContainers(names: readonly string[]): string {
  return `set -u
${PRELUDE}${SECRETS_FUNCS}${REPORT_SECRETS}
for name in ${names.map(sq).join(" ")}; do
  report_secrets "$name"
  echo "MODULE $name $(b64 ${MODULE_DIR}/$name.nix)"
  echo "OWNER $name $(b64 ${OWNER_DIR}/$name.json)"
  echo "CONF $name $(b64 ${CONF_DIR}/$name.conf)"
  echo "PROFILE $name $(readlink -f /nix/var/nix/profiles/per-container/$name/system 2>/dev/null || echo -)"
done
report_active ${names.map(sq).join(" ")}
echo "END"
`;
}
