/** Resource ids and host identity: what replaces a container when it changes. */
import type { Connection } from "../inputs/connection";

export function hostLabel(connection: Pick<Connection, "host" | "port">): string {
  return connection.port === 22 ? connection.host : `${connection.host}:${connection.port}`;
}

/** `<host>/<name>`, with `:port` when it is not 22. */
export function resourceId(connection: Pick<Connection, "host" | "port">, name: string): string {
  return `${hostLabel(connection)}/${name}`;
}
