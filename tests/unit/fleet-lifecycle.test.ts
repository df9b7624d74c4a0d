/**
 * The NixosFleet kind on the lifecycle core, over stand-in engines (one per host): hosts
 * converge at once up to maxParallelHosts, a host that fails fails its own containers only and
 * the step hands Pulumi a state recording what every host runs, a run limited to some hosts
 * (onlyHosts) neither shows nor makes a change elsewhere, and a refresh reads the hosts it can.
 * tests/e2e/fleet.test.ts does the same through the real Pulumi CLI on the simulated fleet.
 */
import { KINDS, resourceOps, type ResourceOps } from "../../provider/lifecycle";
import { PartialFailure } from "../../provider/errors";
import type { ContainerChange, ChangeOutcome, ContainerState } from "../../provider/deploy/change";
import type { HostEngine } from "../../provider/deploy/engine";
import type { Connection } from "../../provider/inputs/connection";
import type { Progress } from "../../provider/deploy/progress";
import { CONNECTION } from "../support/specs";

type Props = Record<string, any>;
/** The operations, with the property bags as loosely typed as the tests read them. */
type Ops = { [K in keyof ResourceOps]: (...args: any[]) => any };

/** Hosts that apply every change after `delayMs`, count how many rounds run at once, and can be taken down. */
function standInFleet(delayMs = 20) {
  const down = new Set<string>();
  const applied = new Map<string, string[]>();
  const onHost = new Map<string, Map<string, string>>();
  let running = 0;
  let most = 0;
  const engineFor = (connection: Connection) =>
    ({
      applyBatch: async (changes: ContainerChange[]): Promise<ChangeOutcome[]> => {
        if (down.has(connection.host)) throw new Error(`${connection.host}: connect ECONNREFUSED`);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, delayMs));
        running--;
        applied.set(connection.host, [...(applied.get(connection.host) ?? []), ...changes.map((c) => `${c.kind} ${c.name}`)]);
        const files = onHost.get(connection.host) ?? new Map<string, string>();
        onHost.set(connection.host, files);
        return changes.map((c) => {
          if (c.kind === "delete") files.delete(c.name);
          else files.set(c.name, c.module!);
          return { name: c.name, result: { state: { name: c.name, module: c.kind === "delete" ? null : c.module!, conf: "", status: "up" }, postAction: "none", warnings: [] } };
        });
      },
      readAll: async (names: string[]): Promise<ContainerState[]> => {
        if (down.has(connection.host)) throw new Error(`${connection.host}: connect ECONNREFUSED`);
        return names.map((n) => ({ name: n, module: onHost.get(connection.host)?.get(n) ?? null, conf: "", status: "up" }));
      },
    }) as unknown as HostEngine;
  const warnings: string[] = [];
  const statuses: string[] = [];
  const progress: Progress = {
    status: (m) => statuses.push(m),
    info: () => undefined,
    warn: (m) => warnings.push(m),
    debug: () => undefined,
    about: () => progress,
  };
  const ops = resourceOps(KINDS.NixosFleet, { engineFor, redactorFor: () => (t) => t }, progress) as unknown as Ops;
  return { ops, down, applied, onHost, warnings, statuses, most: () => most };
}

const containers = () => ({ web: { config: { services: { nginx: { enable: true } } } }, db: { autoStart: true } });
const connection = (i: number) => ({ ...CONNECTION, host: `10.0.0.${i}` });
/** A fleet of n hosts h1…hn (10.0.0.1…), each with web and db, its connections beside its hosts. */
const fleetOf = (n: number, extra: Props = {}): Props => {
  const names = Array.from({ length: n }, (_, i) => i + 1);
  return { hosts: Object.fromEntries(names.map((i) => [`h${i}`, { containers: containers() }])), connections: Object.fromEntries(names.map((i) => [`h${i}`, connection(i)])), ...extra };
};

async function created(f: ReturnType<typeof standInFleet>, inputs: Props): Promise<{ inputs: Props; id: string; outs: Props }> {
  const checked = f.ops.check({}, inputs);
  expect(checked.failures).toEqual([]);
  return { inputs: checked.inputs, ...(await f.ops.create(checked.inputs)) };
}

describe("converging a fleet", () => {
  it("runs every host's round at once, and no more than maxParallelHosts when set", async () => {
    const all = standInFleet();
    await created(all, fleetOf(6));
    expect(all.most()).toBe(6);
    expect([...all.applied.values()].map((a) => a.length)).toEqual([2, 2, 2, 2, 2, 2]);

    const limited = standInFleet();
    const { outs } = await created(limited, fleetOf(6, { maxParallelHosts: 2 }));
    expect(limited.most()).toBe(2);
    expect(limited.applied.size).toBe(6);
    // The limit is recorded (a destroy and a refresh follow it too); it is a setting, not a host's.
    expect(outs.maxParallelHosts).toBe(2);
    // While several hosts converge, the resource's row says how many are done.
    expect(limited.statuses.at(-1)).toBe("6 of 6 hosts done (last: 10.0.0.6)");
  });

  it("records each host under its name, and the connections apart from the containers' outputs", async () => {
    const f = standInFleet();
    const { id, outs } = await created(f, fleetOf(2));
    expect(id).toBe("fleet");
    expect(Object.keys(outs.hosts)).toEqual(["h1", "h2"]);
    expect(outs.hosts.h1).toMatchObject({ host: "10.0.0.1", rebuildAction: "switch", containers: { web: { name: "web", status: "up" }, db: { name: "db" } } });
    expect(outs.hosts.h1.connection).toBeUndefined();
    expect(outs.connections.h2).toMatchObject({ host: "10.0.0.2" });
  });

  it("a host that is down fails its own containers only: the others land, and the state records what every host runs", async () => {
    const f = standInFleet();
    const first = await created(f, fleetOf(3));
    f.down.add("10.0.0.2");
    const edit = (inputs: Props) => {
      for (const h of ["h1", "h2", "h3"]) inputs.hosts[h].containers.db.autoStart = false;
      return inputs;
    };
    const next = f.ops.check(first.inputs, edit(fleetOf(3)));
    const failure = await f.ops.update("fleet", first.outs, next.inputs).then(
      () => undefined,
      (e: PartialFailure) => e,
    );
    expect(failure).toBeInstanceOf(PartialFailure);
    expect(failure.message).toMatch(/^10\.0\.0\.2: 1 of 1 container change failed while applying them; the others were applied\n- db: 10\.0\.0\.2: connect ECONNREFUSED$/);
    const state = failure.properties;
    // h1 and h3 run the change; h2 still runs (and records) what it ran before.
    expect(state.hosts.h1.containers.db.autoStart).toBe(false);
    expect(state.hosts.h3.containers.db.autoStart).toBe(false);
    expect(state.hosts.h2.containers.db).toEqual(first.outs.hosts.h2.containers.db);
    // The next up, with the host back, changes that host only.
    f.down.clear();
    f.applied.clear();
    const again = f.ops.check(next.inputs, edit(fleetOf(3)));
    await f.ops.update("fleet", state, again.inputs);
    expect([...f.applied.keys()]).toEqual(["10.0.0.2"]);
    expect(f.applied.get("10.0.0.2")).toEqual(["update db"]);
  });
});

describe("a run limited to some hosts (onlyHosts)", () => {
  it("keeps the other hosts' inputs as they were, so neither the diff nor the state shows a change it does not make", async () => {
    const f = standInFleet();
    const first = await created(f, fleetOf(3));
    const wanted = fleetOf(3);
    for (const h of ["h1", "h2", "h3"]) wanted.hosts[h].containers.db.autoStart = false;
    delete wanted.hosts.h3; // removing a host waits too
    delete wanted.connections.h3;
    const checked = f.ops.check(first.inputs, { ...wanted, onlyHosts: ["h2"] });
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.hosts.h1).toEqual(first.inputs.hosts.h1);
    expect(checked.inputs.hosts.h3).toEqual(first.inputs.hosts.h3);
    expect(checked.inputs.hosts.h2.containers.db.autoStart).toBe(false);
    expect(f.ops.diff("fleet", first.outs, checked.inputs).changes).toBeUndefined();

    f.applied.clear();
    const { outs } = await f.ops.update("fleet", first.outs, checked.inputs);
    expect([...f.applied.keys()]).toEqual(["10.0.0.2"]);
    expect(outs.hosts.h1).toEqual(first.outs.hosts.h1);
    expect(outs.hosts.h3).toEqual(first.outs.hosts.h3);
    expect(outs.onlyHosts).toBeUndefined();

    // Without onlyHosts, the rest follows; onlyHosts itself was never a change.
    const rest = f.ops.check(checked.inputs, wanted);
    expect(f.ops.diff("fleet", outs, { ...checked.inputs, onlyHosts: undefined }).changes).toBe(false);
    f.applied.clear();
    const after = await f.ops.update("fleet", outs, rest.inputs);
    expect(Object.fromEntries(f.applied)).toEqual({ "10.0.0.1": ["update db"], "10.0.0.3": ["delete web", "delete db"] });
    // A host that left the fleet, once its containers are gone, leaves the state too.
    expect(Object.keys(after.outs.hosts)).toEqual(["h1", "h2"]);
    expect(Object.keys(after.outs.connections)).toEqual(["h1", "h2"]);
  });

  it("refuses a name that is no host of the fleet, listing its hosts", () => {
    const f = standInFleet();
    const checked = f.ops.check({ hosts: { old: { containers: containers() } }, connections: { old: connection(9) } }, fleetOf(2, { onlyHosts: ["h2", "h7"] }));
    expect(checked.failures).toEqual([{ property: "onlyHosts[1]", reason: "names no host of this fleet; its hosts: h1, h2, old" }]);
  });
});

describe("checking a fleet", () => {
  it("reports each host's problems where they were written, a host without a connection, and two names for one host", () => {
    const f = standInFleet();
    const inputs = fleetOf(3);
    inputs.connections.h2.host = "10.0.0.1";
    inputs.connections.h1.port = "22";
    inputs.hosts.h1.containers.web.autostart = true;
    delete inputs.connections.h3;
    inputs.connections.h9 = connection(9);
    inputs.maxParallelHosts = 0;
    const checked = f.ops.check({}, inputs);
    const reasons = Object.fromEntries(checked.failures.map((x: { property: string; reason: string }) => [x.property, x.reason]));
    expect(Object.keys(reasons).sort()).toEqual(["connections.h1.port", "connections.h2.host", "connections.h3", "connections.h9", "hosts.h1.containers.web.autostart", "maxParallelHosts"]);
    expect(reasons["connections.h2.host"]).toMatch(/reaches the same host as connections\.h1 \(10\.0\.0\.1:22\)/);
    expect(reasons["connections.h3"]).toMatch(/^is required: how to reach hosts\.h3/);
    expect(reasons["connections.h9"]).toMatch(/^names no host of hosts \(h1, h2, h3\)/);
  });
});

describe("refreshing a fleet", () => {
  it("reads the hosts it can; one it cannot keeps its record, with a warning naming it", async () => {
    const f = standInFleet();
    const { outs } = await created(f, fleetOf(3));
    f.onHost.get("10.0.0.1")!.delete("db"); // removed by hand
    f.down.add("10.0.0.3");
    const found = await f.ops.read("fleet", outs);
    expect(Object.keys(found.props!.hosts.h1.containers)).toEqual(["web"]);
    expect(found.props!.hosts.h3).toEqual(outs.hosts.h3);
    expect(f.warnings).toEqual([expect.stringMatching(/^10\.0\.0\.3: could not be read \(10\.0\.0\.3: connect ECONNREFUSED\); its 2 containers keep the last record\. The other hosts were refreshed\.$/)]);

    f.down.add("10.0.0.1").add("10.0.0.2");
    await expect(f.ops.read("fleet", outs)).rejects.toThrow(/ECONNREFUSED/);
  });
});
