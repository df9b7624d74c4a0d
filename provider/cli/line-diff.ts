/**
 * Line diffs for the pull-request Markdown: a Myers edit script over lines and unified-diff
 * hunks with context, as `diff -u` prints them.
 */
export type DiffOp = " " | "-" | "+";
/** One line of an edit script; `text` keeps its "\n" (the last line of a text may have none). */
export interface DiffLine {
  op: DiffOp;
  text: string;
}

/** The lines of a text, each with its "\n"; only the last may lack it. "" has no lines. */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf("\n", start);
    if (end === -1) {
      lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  return lines;
}

/** Above this many differences the diff gives up on a minimal script (its trace takes O(D²) memory). */
const MAX_EDIT_DISTANCE = 2000;

/**
 * A shortest edit script from `a` to `b` (Myers' O(ND) algorithm, after
 * stripping the common prefix and suffix). Within a change, removed lines come
 * before added ones.
 */
export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let endA = a.length;
  let endB = b.length;
  while (endA > prefix && endB > prefix && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const same = (text: string): DiffLine => ({ op: " ", text });
  return [...a.slice(0, prefix).map(same), ...myers(a.slice(prefix, endA), b.slice(prefix, endB)), ...a.slice(endA).map(same)];
}

function myers(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [...a.map((text): DiffLine => ({ op: "-", text })), ...b.map((text): DiffLine => ({ op: "+", text }))];
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  // v[k + max + 1]: furthest x on diagonal k (k = x - y); trace[d]: v for diagonals -d..d after round d.
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(v.slice(offset - d, offset + d + 1));
        return backtrack(trace, a, b);
      }
    }
    trace.push(v.slice(offset - d, offset + d + 1));
  }
  // Too different for a minimal script: all old lines out, all new lines in.
  return [...a.map((text): DiffLine => ({ op: "-", text })), ...b.map((text): DiffLine => ({ op: "+", text }))];
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[]): DiffLine[] {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d > 0; d--) {
    // Diagonals -(d-1)..(d-1) of the previous round, read at index k + (d - 1).
    const prev = trace[d - 1];
    const at = (k: number) => prev[k + d - 1];
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY && (down ? y - 1 > prevY : x - 1 > prevX)) {
      out.push({ op: " ", text: a[x - 1] });
      x--;
      y--;
    }
    if (down) out.push({ op: "+", text: b[y - 1] });
    else out.push({ op: "-", text: a[x - 1] });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    out.push({ op: " ", text: a[x - 1] });
    x--;
    y--;
  }
  return out.reverse();
}

/**
 * A unified diff of two texts: `@@ -l,s +l,s @@` hunks with `context` lines of
 * context, changes closer than 2 × context lines merged into one hunk, and
 * `\ No newline at end of file` where a text ends without one (GNU diff
 * format, without the `---`/`+++` file header). "" when the texts are equal.
 */
export function unifiedDiff(oldText: string, newText: string, context = 3): string {
  const edits = diffLines(splitLines(oldText), splitLines(newText));
  const changed: number[] = [];
  edits.forEach((e, i) => {
    if (e.op !== " ") changed.push(i);
  });
  if (changed.length === 0) return "";

  // Lines of each side before edit i.
  const oldBefore: number[] = [];
  const newBefore: number[] = [];
  let o = 0;
  let n = 0;
  for (const e of edits) {
    oldBefore.push(o);
    newBefore.push(n);
    if (e.op !== "+") o++;
    if (e.op !== "-") n++;
  }

  const out: string[] = [];
  let first = 0;
  while (first < changed.length) {
    let last = first;
    while (last + 1 < changed.length && changed[last + 1] - changed[last] - 1 <= 2 * context) last++;
    const start = Math.max(0, changed[first] - context);
    const end = Math.min(edits.length, changed[last] + context + 1);
    let oldCount = 0;
    let newCount = 0;
    const body: string[] = [];
    for (let i = start; i < end; i++) {
      const e = edits[i];
      if (e.op !== "+") oldCount++;
      if (e.op !== "-") newCount++;
      const terminated = e.text.endsWith("\n");
      body.push(e.op + (terminated ? e.text.slice(0, -1) : e.text));
      if (!terminated) body.push("\\ No newline at end of file");
    }
    out.push(`@@ -${range(oldBefore[start], oldCount)} +${range(newBefore[start], newCount)} @@`, ...body);
    first = last + 1;
  }
  return out.join("\n") + "\n";
}

/** GNU: "start,count", "start" for one line, and an empty range names the line before it. */
function range(linesBefore: number, count: number): string {
  if (count === 0) return `${linesBefore},0`;
  if (count === 1) return `${linesBefore + 1}`;
  return `${linesBefore + 1},${count}`;
}
