/** Plain text tables for the terminal: columns padded to their widest cell. */

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** `/nix/store/<hash>-<name>` shortened for a table: the hash's first 8 characters, then the name. */
export function shortStorePath(path: string | null | undefined): string {
  if (!path) return "-";
  const m = /^\/nix\/store\/([0-9a-z]{32})-(.*)$/.exec(path);
  return m ? `${m[1].slice(0, 8)}…-${m[2]}` : path;
}
