/**
 * YAML and JSON documents that remember where each value came from, so an
 * error in an inventory or spec file names the file, the line and the key.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isNode, type Node } from "yaml";
import { ProviderError } from "../errors";

export interface Located {
  file: string;
  line: number;
  column: number;
}

export interface SourceDocument {
  file: string;
  value: unknown;
  /** Where the value at `path` was written, or the nearest enclosing value that was. */
  locate(path: readonly PropertyKey[]): Located;
}

/** A YAML or JSON file that cannot be read or parsed: each problem with its file, line and column. */
export class SourceError extends ProviderError {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

export function readSourceFile(file: string): SourceDocument {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new SourceError([`${file}: cannot read: ${(e as Error).message}`]);
  }
  return parseSource(file, text);
}

export function parseSource(file: string, text: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SourceError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  const locate = (path: readonly PropertyKey[]): Located => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      const offset = nodeOffset(node, doc.contents);
      if (offset !== undefined) {
        const pos = lineCounter.linePos(offset);
        return { file, line: pos.line, column: pos.col };
      }
    }
    return { file, line: 1, column: 1 };
  };
  return { file, value, locate };
}

function nodeOffset(node: unknown, root: unknown): number | undefined {
  if (isNode(node) && (node as Node).range) return (node as Node).range![0];
  if (node === undefined && isNode(root)) return undefined;
  return undefined;
}
