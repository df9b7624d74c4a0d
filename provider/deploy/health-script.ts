/**
 * The remote side of health checks (health.ts): one script per attempt that enters every
 * container due for a try at once (`nixos-container run`, in parallel) and runs its pending
 * checks inside it, one after the other, each bounded by the time the container has left.
 *
 * What a check runs (its argv may carry a credential, e.g. a header for curl) never lands on a
 * command line of the host: the script run inside each container travels on the SSH session's
 * stdin into a root-only directory in /run, and is fed to `nixos-container run NAME -- bash -s`
 * on its stdin (nixos-container passes stdin through, reference deploy-safety B). Inside, each
 * argument of a check is quoted with shellQuote; the host script names only containers (validated
 * names) and numbers.
 *
 * Output, per container, after all have finished (so the containers' lines never interleave):
 *   BEGIN name
 *     | <line>         the last lines of a check's output (up to 20), before its verdict
 *   CHECK <index> <exit status>
 *   <other lines>      what nixos-container itself printed (the container does not run, …)
 *   ATTEMPT name <exit status of nixos-container run, 124 when it ran out of time>
 *   END
 */
import { shellJoin, shellQuote as sq } from "../host/shell";

/** One check as the container runs it: a program and its arguments, bounded by `seconds`. */
export interface Probe {
  index: number;
  /** Longest time this try may take (the container's time left bounds it too). */
  seconds: number;
  argv: string[];
}

export interface ProbeBatch {
  name: string;
  /** The time the container has left for this attempt, in whole seconds. */
  seconds: number;
  probes: Probe[];
}

/**
 * Inside the container (bash, the container's login shell PATH): each probe's output, at most its
 * last 20 lines (of its last 8 KiB), each indented, then `CHECK index status`. `timeout` exits
 * 124 when the probe ran out of time.
 */
function insideScript(batch: ProbeBatch): string {
  const lines = batch.probes.map((p) => `check ${p.index} ${Math.max(1, Math.floor(p.seconds))} ${shellJoin(p.argv)}`);
  return `budget=${batch.seconds}
check() {
  i=$1; t=$2; shift 2
  left=$((budget - SECONDS)); [ "$t" -le "$left" ] || t=$left
  if [ "$t" -le 0 ]; then echo "CHECK $i 124"; return; fi
  out=$(timeout -k 2 "$t" "$@" 2>&1 < /dev/null | tail -c 8192; exit "\${PIPESTATUS[0]}"); rc=$?
  [ -z "$out" ] || printf '%s\\n' "$out" | tail -n 20 | sed 's/^/  | /'
  echo "CHECK $i $rc"
}
${lines.join("\n")}
`;
}

/** One attempt for every container of `batches`, in parallel on the host: the script, and its stdin (the inside scripts, in order). */
export function healthAttempt(batches: readonly ProbeBatch[]): { script: string; stdin: Buffer } {
  const inside = batches.map((b) => Buffer.from(insideScript(b), "utf8"));
  const names = batches.map((b) => sq(b.name)).join(" ");
  const script = `set -u
umask 077
dir=$(mktemp -d /run/pulumi-nixos-containers-health.XXXXXX) || { echo "cannot create a directory in /run for the checks' output"; exit 1; }
trap 'rm -rf "$dir"' EXIT
receive() { dd of="$dir/$1.sh" bs=65536 count="$2" iflag=count_bytes,fullblock status=none; }
probe() { # NAME SECONDS: its script inside the container, the output in $dir
  timeout -k 5 "$2" nixos-container run "$1" -- bash -s < "$dir/$1.sh" > "$dir/$1.out" 2>&1
  echo "$?" > "$dir/$1.rc"
}
${batches.map((b, i) => `receive ${sq(b.name)} ${inside[i].length}`).join("\n")}
${batches.map((b) => `probe ${sq(b.name)} ${b.seconds + 10} &`).join("\n")}
wait
for name in ${names}; do
  echo "BEGIN $name"
  cat "$dir/$name.out" 2>/dev/null
  echo "ATTEMPT $name $(cat "$dir/$name.rc" 2>/dev/null || echo 1)"
done
echo "END"
`;
  return { script, stdin: Buffer.concat(inside) };
}

/** What one attempt said about one container. */
export interface AttemptResult {
  /** Exit status of `nixos-container run` (124: the container's time ran out). */
  status: number;
  /** By probe index: its exit status and its last output lines. */
  verdicts: Map<number, { status: number; output: string }>;
  /** Lines that are no check's: what nixos-container printed when it could not enter. */
  other: string[];
}

export function parseAttempt(stdout: string): { results: Map<string, AttemptResult>; complete: boolean } {
  const results = new Map<string, AttemptResult>();
  let current: AttemptResult | undefined;
  let buffer: string[] = [];
  let complete = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("BEGIN ")) {
      current = { status: 1, verdicts: new Map(), other: [] };
      results.set(line.slice(6), current);
      buffer = [];
    } else if (line.startsWith("  | ")) buffer.push(line.slice(4));
    else if (current && /^CHECK [0-9]+ [0-9]+$/.test(line)) {
      const [, index, status] = line.split(" ");
      current.verdicts.set(Number(index), { status: Number(status), output: buffer.join("\n") });
      buffer = [];
    } else if (current && line.startsWith("ATTEMPT ")) {
      current.status = Number(line.split(" ")[2]);
      current.other.push(...buffer);
      current = undefined;
    } else if (line === "END") complete = true;
    else if (current && line !== "") current.other.push(line);
  }
  return { results, complete };
}
