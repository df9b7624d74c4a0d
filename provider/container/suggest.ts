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

/** The known name closest to `unknown`, if it is close enough to be a likely typo. */
export function nearestName(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const score = distance(unknown, candidate);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  const allowed = Math.max(2, Math.floor(unknown.length / 3));
  return bestScore <= allowed ? best : undefined;
}
