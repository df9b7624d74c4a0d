/** Small zod builders shared by the container and connection schemas. */
import { z } from "zod";
import type { FormatCheck } from "./formats";

/** A string that must match `format`; the message says what a valid value looks like. */
export function formatted(format: FormatCheck) {
  return z.string().refine((v) => format.test(v), { message: `expected ${format.expected}` });
}

/** A TCP/UDP port number as systemd-nspawn accepts it. */
export const port = z
  .number({ message: "expected a port number (an integer from 1 to 65535)" })
  .int("expected a port number (an integer from 1 to 65535)")
  .min(1, "expected a port number (an integer from 1 to 65535)")
  .max(65535, "expected a port number (an integer from 1 to 65535)");
