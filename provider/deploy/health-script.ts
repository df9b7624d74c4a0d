/**
 * The remote side of health checks (health.ts): one script per attempt that enters every
 * container due for a try at once (`nixos-container run`, in parallel) and runs its pending
 * checks inside it, one after the other, each bounded by the time the container has left.
 *
 * Quoting: every value reaches the host shell through shellQuote, once per shell that parses
 * it. The script run inside a container is one argument of `nixos-container run NAME -- bash -c`
 * (nixos-container quotes each argument again for the container's login shell), and a check's
 * own argv is quoted inside that script.
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

/** One attempt for every container of `batches`, in parallel on the host. */
export function healthAttempt(batches: readonly ProbeBatch[]): string {
  const starts = batches.map((b) => `probe ${sq(b.name)} ${b.seconds + 10} ${sq(insideScript(b))} &`);
  return `set -u
dir=$(mktemp -d /run/pulumi-nixos-containers-health.XXXXXX) || { echo "cannot create a directory in /run for the checks' output"; exit 1; }
trap 'rm -rf "$dir"' EXIT
probe() { # NAME SECONDS SCRIPT: SCRIPT inside the container, its output in $dir
  timeout -k 5 "$2" nixos-container run "$1" -- bash -c "$3" > "$dir/$1.out" 2>&1 < /dev/null
  echo "$?" > "$dir/$1.rc"
}
${starts.join("\n")}
wait
for name in ${batches.map((b) => sq(b.name)).join(" ")}; do
  echo "BEGIN $name"
  cat "$dir/$name.out" 2>/dev/null
  echo "ATTEMPT $name $(cat "$dir/$name.rc" 2>/dev/null || echo 1)"
done
echo "END"
`;
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
