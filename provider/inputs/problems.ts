/**
 * Problems with what a user gave, each at its property path as users write it:
 * `forwardPorts[0].hostPort`, `bindMounts["/var/www"].hostPath`, `containers.web.name`.
 */

export interface Problem {
  path: (string | number)[];
  message: string;
  /** Set on problems that span several options (as opposed to one value being malformed). */
  rule?: true;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** One `path: message` line per problem. */
export function formatProblems(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${formatPath(p.path) || "(arguments)"}: ${p.message}`);
}
