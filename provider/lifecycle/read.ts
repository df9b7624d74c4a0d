/**
 * read (refresh): what the hosts have now, every host at once (or maxParallelHosts at a time),
 * each in one round trip. A container whose module is gone leaves the record (the next
 * `pulumi up` creates it again); a module edited on the host shows up as a changed nixConfig,
 * which the next `pulumi up` overwrites. A container another stack has taken over is no drift:
 * the record keeps this stack's last configuration and says who manages it now (managedBy), so
 * the next `pulumi up` has nothing to change and leaves it to them. A secret file changed or
 * removed on the host is recorded as such (secrets.ts: never its content), and the next `pulumi
 * up` writes it again. A host that cannot be read keeps its record, and says why (`unread`): the
 * caller decides whether that fails the refresh.
 */
import type { Owner } from "../deploy/change";
import type { Progress } from "../deploy/progress";
import type { LifecycleContext } from "./context";
import { atMost } from "./limit";
import { recordOf, type Recorded, type RecordedHost } from "./model";
import { stackOf, takenOverBy, takenOverWarning } from "./owner";
import { markedSecrets, secretsDrift } from "./secrets";

export interface ReadHosts {
  /** Every host: as read, or as recorded when it could not be read. */
  hosts: RecordedHost[];
  unread: { host: RecordedHost; error: Error }[];
}

export async function read(
  ctx: LifecycleContext,
  hosts: RecordedHost[],
  owner: Owner | undefined,
  where: string,
  progress: Progress,
  maxParallelHosts?: number,
): Promise<ReadHosts> {
  const unread: ReadHosts["unread"] = [];
  const found = await atMost(maxParallelHosts, hosts, async (host): Promise<RecordedHost> => {
    let states;
    try {
      states = await ctx.engineFor(host.connection).readAll(host.containers.map((r) => r.spec.name));
    } catch (e) {
      unread.push({ host, error: e as Error });
      return host;
    }
    const containers = host.containers.flatMap((last, i): Recorded[] => {
      const state = states[i];
      if (state.module === null) return []; // gone from the host
      const other = takenOverBy(owner, state);
      if (other) {
        progress.warn(takenOverWarning(where, last.spec.name, other));
        return [{ ...last, outputs: { ...last.outputs, managedBy: stackOf(other) } }];
      }
      const drift = secretsDrift(last.spec.secrets, state.secrets);
      const files = Object.keys(drift);
      if (files.length > 0) progress.warn(`${where}: ${last.spec.name}: secret file${files.length === 1 ? "" : "s"} ${files.map((f) => `/run/secrets/${f}`).join(", ")} changed on the host (or ${files.length === 1 ? "is" : "are"} missing or undeclared); the next pulumi up writes them again`);
      return [recordOf(last.key, markedSecrets(last.spec, drift), last.outputs.nixConfig, state)];
    });
    return { ...host, containers };
  });
  return { hosts: found, unread };
}
