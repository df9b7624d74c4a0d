/**
 * The remote shell of a container's secret files (secrets.ts runs them), as pure functions of
 * what is not secret: container names, file names, modes, owners, units. The values come on
 * stdin, one line per file (`SIZE BASE64`), read by the shell's own `read` and `printf` into
 * `base64 -d`: no value, length or digest of a value is ever in a command line (so in no
 * process list), an environment variable or a log.
 *
 * Layout: SECRETS_DIR (0700, root) holds `<container>/` (0751, the container's root: the
 * directory bind-mounted read-only at /run/secrets) and `.staging/`, where each file is written
 * and given its mode and owner before it is renamed into place: a reader never sees half a
 * secret, and the container never sees a temporary file.
 *
 * Owners are the container's: a name is looked up in the container's /etc/passwd (/etc/group)
 * as the host sees it, a number is taken as it is, and with privateUsers both are shifted into
 * the container's uid range (its uid_map, else PRIVATE_USERS of its conf, else the owner of its
 * root directory for "pick"). A name that does not exist yet (a container never started, or a
 * user its new configuration creates) leaves the file owned by the container's root until the
 * settle step after the activation gives it its owner.
 */
import { shellQuote as sq } from "../host/shell";
import { CONF_DIR, JOURNAL_DIR, SECRETS_DIR, STATE_DIR } from "./layout";

/** One secret file as the host gets it. Names, modes, owners and units are not secret; `value` is. */
export interface SecretFileChange {
  file: string;
  mode: string;
  owner: string | number;
  group: string | number;
  restartUnits: string[];
  reloadUnits: string[];
  /** The content to write (the file is new or changed); undefined: the file on the host is current. */
  value?: string;
}

/** Shell functions every secrets script uses (after PRELUDE). */
export const SECRETS_FUNCS = `
SD=${SECRETS_DIR}
# secrets_ctx NAME: what the other functions need to know of a container, once per script (not in
# a subshell): S_LEADER (its leader's pid while it runs), S_ROOT (its root as its processes see it:
# the leader's, else its state directory), S_BASE (the host uid of its root: 0 without
# privateUsers; empty while unknown, "pick" before its first start).
secrets_ctx() {
  [ "\${S_NAME:-}" = "$1" ] && return 0
  S_NAME=$1; S_LEADER=$(machinectl show "$1" -p Leader --value 2>/dev/null)
  if [ -n "$S_LEADER" ] && [ -d "/proc/$S_LEADER/root" ]; then S_ROOT=/proc/$S_LEADER/root; else S_ROOT=${STATE_DIR}/$1; fi
  if [ -n "$S_LEADER" ] && [ -r "/proc/$S_LEADER/uid_map" ]; then S_BASE=$(awk '$1 == 0 { print $2; exit }' "/proc/$S_LEADER/uid_map"); return 0; fi
  pu=$(sed -n 's/^PRIVATE_USERS=//p' ${CONF_DIR}/$1.conf 2>/dev/null | tr -d '"')
  case "$pu" in
    ""|no|identity|0) S_BASE=0 ;;
    pick) S_BASE=$(stat -c %u ${STATE_DIR}/$1 2>/dev/null); [ "$S_BASE" != 0 ] || S_BASE= ;;
    *[!0-9]*) S_BASE=0 ;;
    *) S_BASE=$pu ;;
  esac
}
# secret_id NAME passwd|group WHO: the container's id of a user or group; nothing when unknown (after secrets_ctx NAME).
secret_id() {
  case "$3" in root) echo 0; return ;; ""|*[!0-9]*) ;; *) echo "$3"; return ;; esac
  awk -F: -v n="$3" '$1 == n { print $3; exit }' "$S_ROOT/etc/$2" 2>/dev/null
}
# secret_attrs NAME PATH MODE OWNER GROUP: mode and owner as the container must see them; 2 when
# the owner is not known yet (the file then belongs to the container's root).
secret_attrs() {
  secrets_ctx "$1"; u=$(secret_id "$1" passwd "$4"); g=$(secret_id "$1" group "$5")
  chmod "$3" "$2" || return 1
  if [ -n "$S_BASE" ] && [ -n "$u" ] && [ -n "$g" ]; then chown "$((S_BASE + u)):$((S_BASE + g))" "$2"; return; fi
  chown "\${S_BASE:-0}:\${S_BASE:-0}" "$2"; return 2
}
secrets_dir() { # secrets_dir NAME: the container's directory, owned by its root
  mkdir -p "$SD/.staging" "$SD/$1" && chmod 0700 "$SD" "$SD/.staging" && chmod 0751 "$SD/$1" || return 1
  secrets_ctx "$1"; chown "\${S_BASE:-0}:\${S_BASE:-0}" "$SD/$1"
}
journal_secrets() { # what the directory held before this round, once (restore_secrets puts it back)
  j=${JOURNAL_DIR}/$1
  [ -e "$j.secrets-prev" ] || [ -e "$j.secrets-absent" ] && return 0
  mkdir -p ${JOURNAL_DIR} && chmod 0700 ${JOURNAL_DIR}
  if [ -d "$SD/$1" ]; then cp -a "$SD/$1" "$j.secrets-prev.tmp" && mv -T "$j.secrets-prev.tmp" "$j.secrets-prev"; else : > "$j.secrets-absent"; fi
}
restore_secrets() { # put the journalled directory back, file by file (each by rename)
  j=${JOURNAL_DIR}/$1
  if [ -d "$j.secrets-prev" ]; then
    secrets_dir "$1"
    for f in "$SD/$1"/* "$SD/$1"/.[!.]*; do [ -e "$f" ] || continue; [ -e "$j.secrets-prev/\${f##*/}" ] || rm -f "$f"; done
    for f in "$j.secrets-prev"/*; do [ -e "$f" ] || continue; t="$SD/.staging/$1.\${f##*/}.restore"; cp -p "$f" "$t" && mv -f "$t" "$SD/$1/\${f##*/}"; done
    rm -rf "$j.secrets-prev"
  elif [ -e "$j.secrets-absent" ]; then
    rm -rf "$SD/$1"; rm -f "$j.secrets-absent"
  fi
}
clear_secrets_journal() { rm -rf "${JOURNAL_DIR}/$1.secrets-prev" "${JOURNAL_DIR}/$1.secrets-prev.tmp" "${JOURNAL_DIR}/$1.secrets-absent"; }
# receive_secret NAME FILE MODE OWNER GROUP: the next stdin line (SIZE BASE64) into the file.
receive_secret() {
  IFS= read -r line || { echo "SECRETFAIL $1 $(printf 'the content of %s did not arrive (connection lost?); nothing of it was written' "$2" | base64 -w0)"; exit 3; }
  size=\${line%% *}; t="$SD/.staging/$1.$2.$$"
  rm -f "$t"; : > "$t" && chmod 0600 "$t" || exit 3
  printf '%s' "\${line#* }" | base64 -d > "$t" 2>/dev/null
  if [ "$(stat -c %s "$t")" != "$size" ]; then rm -f "$t"; echo "SECRETFAIL $1 $(printf 'the content of %s arrived incomplete or corrupted; nothing of it was written' "$2" | base64 -w0)"; exit 3; fi
  secret_attrs "$1" "$t" "$3" "$4" "$5"; case $? in 1) rm -f "$t"; exit 3 ;; 2) echo "SECRETPENDING $1 $2" ;; esac
  sync "$t"; mv -f "$t" "$SD/$1/$2"
  echo "SECRETWROTE $1 $2"
}
prune_secrets() { # prune_secrets NAME FILE...: remove every file of the directory that is not declared
  n=$1; shift
  for f in "$SD/$n"/* "$SD/$n"/.[!.]*; do
    [ -e "$f" ] || continue
    keep=; for k in "$@"; do [ "\${f##*/}" = "$k" ] && keep=1; done
    [ -n "$keep" ] || { rm -rf "$f"; echo "SECRETREMOVED $n \${f##*/}"; }
  done
}
remove_secrets() { [ -e "$SD/$1" ] || return 0; rm -rf "$SD/$1" && echo "SECRETGONE $1"; }
# in_container NAME CMD...: a command inside the running container (nixos-container run quotes each word).
in_container() { n=$1; shift; nixos-container run "$n" -- "$@"; }
# secret_units NAME ACTION UNIT...: restart or reload the units that run; report each.
secret_units() {
  n=$1; a=$2; shift 2
  [ $# -gt 0 ] && systemctl is-active --quiet "container@$n.service" || return 0
  for u in "$@"; do
    s=$(in_container "$n" systemctl is-active "$u" 2>/dev/null | tail -n 1)
    case "$a:$s" in
      restart:active|restart:activating|restart:reloading|restart:failed|late:active|late:activating|late:failed) v=restart ;;
      reload:active) v=reload ;;
      *) echo "SECRETDID $n $u skipped-$s 0"; continue ;;
    esac
    out=$(in_container "$n" systemctl "$v" "$u" 2>&1); rc=$?
    [ -z "$out" ] || printf '%s\\n' "$out" | sed "s/^/  | /"
    echo "SECRETDID $n $u $v $rc"
  done
}
# check_units NAME UNIT...: each unit that the running container does not have.
check_units() {
  n=$1; shift
  [ $# -gt 0 ] && systemctl is-active --quiet "container@$n.service" || return 0
  for u in "$@"; do
    [ "$(in_container "$n" systemctl show -p LoadState --value "$u" 2>/dev/null | tail -n 1)" != not-found ] || echo "SECRETMISSING $n $u"
  done
}
# check_owner NAME FILE OWNER GROUP: an owner or group the container does not have.
check_owner() {
  secrets_ctx "$1"
  [ -e "$S_ROOT/etc/passwd" ] || return 0
  [ -n "$(secret_id "$1" passwd "$3")" ] || echo "SECRETNOUSER $1 $2 owner $3"
  [ -n "$(secret_id "$1" group "$4")" ] || echo "SECRETNOUSER $1 $2 group $4"
}
`;

/** What a round does with one container's secrets. */
export interface SecretsStep {
  name: string;
  /** Every declared file (empty: the container has none). */
  files: SecretFileChange[];
  /** Act on the units of changed files now (a secrets-only change: no activation follows). */
  settleNow: boolean;
}

const owner = (v: string | number) => sq(String(v));
const units = (files: SecretFileChange[], pick: (f: SecretFileChange) => string[]) => [...new Set(files.flatMap(pick))].map(sq).join(" ");

/**
 * Before anything is written for a secrets-only change of a running container: the units its
 * files name and their owners exist there. Prints SECRETMISSING / SECRETNOUSER lines.
 */
export function checkSecrets(steps: readonly SecretsStep[]): string {
  const lines = steps.flatMap((s) => [
    `check_units ${sq(s.name)} ${units(s.files, (f) => [...f.restartUnits, ...f.reloadUnits])}`,
    ...s.files.map((f) => `check_owner ${sq(s.name)} ${sq(f.file)} ${owner(f.owner)} ${owner(f.group)}`),
  ]);
  return `set -u
${SECRETS_FUNCS}
${lines.join("\n")}
echo "END"
`;
}

/**
 * Journal each container's directory, write its new and changed files (stdin, in order), remove
 * the ones it no longer declares; for secrets-only changes also restart and reload the units of
 * the changed files and clear the journal (no activation follows). Exits 3 when a file did not
 * arrive whole: the caller restores the journal.
 */
export function writeSecrets(steps: readonly SecretsStep[]): string {
  const lines = steps.flatMap((s) => {
    const n = sq(s.name);
    const changed = s.files.filter((f) => f.value !== undefined);
    return [
      `journal_secrets ${n}`,
      `secrets_dir ${n} || exit 3`,
      ...changed.map((f) => `receive_secret ${n} ${sq(f.file)} ${sq(f.mode)} ${owner(f.owner)} ${owner(f.group)}`),
      `prune_secrets ${n} ${s.files.map((f) => sq(f.file)).join(" ")}`,
      ...(s.settleNow
        ? [`secret_units ${n} restart ${units(changed, (f) => f.restartUnits)}`, `secret_units ${n} reload ${units(changed, (f) => f.reloadUnits)}`, `clear_secrets_journal ${n}`]
        : []),
    ];
  });
  return `set -u
umask 077
${SECRETS_FUNCS}
mkdir -p "$SD/.staging" && chmod 0700 "$SD" "$SD/.staging" || exit 3
${lines.join("\n")}
sync "$SD" 2>/dev/null || sync
echo "END"
`;
}

/** The stdin of writeSecrets: one line per changed file, in the order of the steps. */
export function secretsPayload(steps: readonly SecretsStep[]): Buffer {
  const lines = steps.flatMap((s) => s.files.filter((f) => f.value !== undefined).map((f) => `${Buffer.byteLength(f.value!, "utf8")} ${Buffer.from(f.value!, "utf8").toString("base64")}\n`));
  return Buffer.from(lines.join(""), "utf8");
}

/** After the activation, for one container: what settleSecrets does. */
export interface SettleStep {
  name: string;
  files: SecretFileChange[];
  /** Restart and reload the units of the changed files (the container was not restarted by the round). */
  actOnChanged: boolean;
  /** Files written before their owner existed: their units are restarted once it has it (also failed ones). */
  late: string[];
  /** Remove the directory (the container is gone or has no secrets any more). */
  remove: boolean;
}

/**
 * Shell for the end of a round, once the containers run their new system (scripts.afterSwitch
 * runs it before the journal is cleared and the lock released): give every file its owner now
 * that the container's users exist (restarting the units of a file that only now got its
 * owner), check that the named units and owners exist, act on the units of changed files,
 * remove the directories of removed containers and of containers without secrets. Prints
 * SECRETPENDING (owner still unknown), SECRETNOUSER, SECRETMISSING, SECRETDID, SECRETGONE.
 */
export function settleSecrets(steps: readonly SettleStep[]): string {
  if (steps.length === 0) return "";
  const lines = steps.flatMap((s) => {
    const n = sq(s.name);
    if (s.remove) return [`remove_secrets ${n}`];
    const changed = s.files.filter((f) => f.value !== undefined);
    const late = s.files.filter((f) => s.late.includes(f.file));
    return [
      `secrets_dir ${n}`,
      ...s.files.flatMap((f) => [
        `secret_attrs ${n} "$SD/"${n}/${sq(f.file)} ${sq(f.mode)} ${owner(f.owner)} ${owner(f.group)}; [ $? -ne 2 ] || echo "SECRETPENDING "${n}" "${sq(f.file)}`,
        `check_owner ${n} ${sq(f.file)} ${owner(f.owner)} ${owner(f.group)}`,
      ]),
      `check_units ${n} ${units(s.files, (f) => [...f.restartUnits, ...f.reloadUnits])}`,
      ...(s.actOnChanged ? [`secret_units ${n} restart ${units(changed, (f) => f.restartUnits)}`, `secret_units ${n} reload ${units(changed, (f) => f.reloadUnits)}`] : []),
      `secret_units ${n} late ${units(late, (f) => [...f.restartUnits, ...f.reloadUnits])}`,
    ];
  });
  return `${SECRETS_FUNCS}
${lines.join("\n")}
`;
}

/** Report every secret file of a container (no content: its sha256, mode, owner and group as the container sees them). */
export const REPORT_SECRETS = `
report_secrets() {
  n=$1; d=${SECRETS_DIR}/$n
  [ -d "$d" ] || { echo "SECRETDIR $n -"; return 0; }
  echo "SECRETDIR $n $(stat -c %a "$d")"
  secrets_ctx "$n"; base=$S_BASE; r=$S_ROOT
  for f in "$d"/* "$d"/.[!.]*; do
    [ -e "$f" ] || continue
    a=$(stat -c '%a %u %g' "$f"); mode=\${a%% *}; ids=\${a#* }; u=$((\${ids% *} - \${base:-0})); g=$((\${ids#* } - \${base:-0}))
    un=$(awk -F: -v i="$u" '$3 == i { print $1; exit }' "$r/etc/passwd" 2>/dev/null); gn=$(awk -F: -v i="$g" '$3 == i { print $1; exit }' "$r/etc/group" 2>/dev/null)
    echo "SECRETFILE $n \${f##*/} $(sha256sum < "$f" | cut -d ' ' -f 1) $mode \${un:--}:$u \${gn:--}:$g"
  done
}
`;
