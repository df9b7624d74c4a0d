/** "Did you mean …?" for unknown property names. */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The known name `unknown` most likely stands for. A known name may be
 * qualified ("resources.memoryMax"); its last segment is what is compared.
 * In order: a small edit distance (a typo); a known name that is part of
 * the unknown one or the other way round (`ephemeralRootfs` → `ephemeral`,
 * `ports` → `forwardPorts`); the same leading word (`memoryLimit` →
 * `resources.memoryMax`, the first such name in `known`).
 */
export function nearestName(unknown: string, known: readonly string[]): string | undefined {
  const last = (name: string) => name.slice(name.lastIndexOf(".") + 1);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const score = distance(unknown, last(candidate));
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  const allowed = Math.max(2, Math.floor(unknown.length / 3));
  if (bestScore <= allowed) return best;

  const lower = unknown.toLowerCase();
  const contained = known
    .filter((c) => {
      const k = last(c).toLowerCase();
      return Math.min(k.length, lower.length) >= 4 && (lower.includes(k) || k.includes(lower));
    })
    .sort((a, b) => last(b).length - last(a).length);
  if (contained.length > 0) return contained[0];

  const word = leadingWord(unknown);
  return word.length >= 3 ? known.find((c) => leadingWord(last(c)) === word) : undefined;
}

/** The first word of a camelCase or kebab-case name, lower case: "memoryLimit" → "memory". */
function leadingWord(name: string): string {
  return (name.match(/^[a-z0-9]+|^[A-Z][a-z0-9]*/)?.[0] ?? "").toLowerCase();
}

/** A problem for each of `keys` that is not `known`, with the nearest known name or the list of them. */
export function unknownPropertyProblems(keys: readonly string[], known: readonly string[]): { path: string[]; message: string }[] {
  return keys
    .filter((key) => !known.includes(key))
    .map((key) => {
      const suggestion = nearestName(key, known);
      return { path: [key], message: `unknown property${suggestion ? `; did you mean "${suggestion}"?` : `; known properties: ${known.join(", ")}`}` };
    });
}
