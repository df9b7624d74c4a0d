/**
 * Splits a byte stream into complete lines (UTF-8 safe across chunk
 * boundaries) for the onStdoutLine / onStderrLine callbacks.
 */
import { StringDecoder } from "string_decoder";

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  /** Emits the last line if the stream did not end with a newline. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest !== "") this.onLine(rest.endsWith("\r") ? rest.slice(0, -1) : rest);
  }
}
