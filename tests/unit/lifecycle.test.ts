/**
 * The lifecycle core over a stand-in engine: each module is rendered once per run in the
 * provider (by check; create and update write what check answered), inputs check did not
 * answer are checked again and refused as check refuses them, and the dynamic provider's
 * serialized text captures nothing but constants.
 */
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as containerModule from "../../provider/container/module";
import { KINDS, contextFrom, resourceOps, type ResourceOps } from "../../provider/lifecycle";
import type { ContainerChange, ChangeOutcome } from "../../provider/deploy/change";
import type { HostEngine } from "../../provider/deploy/engine";
import { silentProgress } from "../../provider/deploy/progress";
import { providerFor } from "../../sdk/provider";
import { CONNECTION } from "../support/specs";
import { UNKNOWN } from "../../provider/lifecycle/unknown";
import { answerPacer, QUIET_GAP_MS } from "../../provider/lifecycle/answers";
import { PartialFailure } from "../../provider/errors";

type Props = Record<string, unknown>;

/** An engine that applies every change and remembers the modules it was given. */
function standInContext() {
  const written: string[] = [];
  const engine = {
    applyBatch: async (changes: ContainerChange[]): Promise<ChangeOutcome[]> =>
      changes.map((c) => {
        if (c.module) written.push(c.module);
        return { name: c.name, result: { state: { name: c.name, module: c.kind === "delete" ? null : c.module!, conf: "", status: "up" }, postAction: "none", warnings: [] } };
      }),
  } as unknown as HostEngine;
  return { ctx: contextFrom(() => { throw new Error("no transport in this test"); }, () => (t) => t), engine, written };
}

function opsFor(kind: keyof typeof KINDS) {
  const { ctx, engine, written } = standInContext();
  const ops: ResourceOps = resourceOps(KINDS[kind], { ...ctx, engineFor: () => engine }, silentProgress);
  return { ops, written };
}

const hostInputs = (extra: Props = {}): Props => ({
  connection: CONNECTION,
  containers: { web: { config: { services: { nginx: { enable: true } } } }, db: { autoStart: true }, cache: { config: {}, ...extra } },
});

describe("rendering", () => {
  let render: jest.SpyInstance;
  beforeEach(() => (render = jest.spyOn(containerModule, "renderContainerModule")));
  afterEach(() => render.mockRestore());

  it("a NixosHost's create renders each container's module once, and writes what check rendered", async () => {
    const { ops, written } = opsFor("NixosHost");
    const checked = ops.check({}, hostInputs());
    expect(checked.failures).toEqual([]);
    // The engine sends check's answer back with its own bookkeeping key.
    await ops.create({ ...checked.inputs, __provider: "text" });
    expect(render).toHaveBeenCalledTimes(3);
    const rendered = Object.values(checked.inputs.containers as Record<string, Props>).map((c) => c.nixConfig);
    expect(written).toEqual(rendered);
  });

  it("a NixosContainer's create and a NixosHost's update render once per container", async () => {
    const container = opsFor("NixosContainer");
    const one = container.ops.check({}, { name: "web", connection: CONNECTION, config: {} });
    await container.ops.create(one.inputs);
    expect(render).toHaveBeenCalledTimes(1);

    const host = opsFor("NixosHost");
    const first = host.ops.check({}, hostInputs());
    const { outs } = await host.ops.create(first.inputs);
    render.mockClear();
    const second = host.ops.check(outs, hostInputs({ autoStart: true }));
    await host.ops.update("id", outs, second.inputs);
    expect(render).toHaveBeenCalledTimes(3);
    // Only the changed container reached the engine.
    expect(host.written.slice(3)).toEqual([(second.inputs.containers as Record<string, Props>).cache.nixConfig]);
  });

  it("inputs that check did not answer are checked again: a forged module or an invalid input is refused before any host", async () => {
    const { ops, written } = opsFor("NixosContainer");
    const checked = ops.check({}, { name: "web", connection: CONNECTION, config: {} });
    const forged = { ...checked.inputs, nixConfig: "{ ... }: { system.activationScripts.x = \"rm -rf /\"; }" };
    await expect(ops.create(forged)).rejects.toThrow(/invalid NixosContainer inputs:\n  nixConfig: does not match the module the provider renders/);
    await expect(ops.create({ ...checked.inputs, name: "web;reboot" })).rejects.toThrow(/invalid NixosContainer inputs:\n  name: /);
    expect(written).toEqual([]);
  });
});

describe("diff in preview, with values not known yet", () => {
  it("an unknown value is a change, not a replace: what check leaves unset there (the port) is no change of identity", async () => {
    const { ops } = opsFor("NixosContainer");
    const checked = ops.check({}, { name: "b", connection: CONNECTION, config: { environment: { etc: { peer: { text: "10.0.0.2" } } } } });
    const { outs } = await ops.create(checked.inputs);
    const preview = ops.check(checked.inputs, { name: "b", connection: CONNECTION, config: { environment: { etc: { peer: { text: UNKNOWN } } } } });
    expect(preview.failures).toEqual([]);
    expect(ops.diff("id", outs, preview.inputs)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // A known identity that changes still replaces.
    const moved = ops.check(checked.inputs, { name: "b", connection: { ...CONNECTION, host: "127.0.0.12" }, config: { services: { x: UNKNOWN } } });
    expect(ops.diff("id", outs, moved.inputs).replaces).toEqual(["connection.host"]);
  });
});

describe("the dynamic providers' serialized text", () => {
  // Pulumi stores it in every resource's state and runs the stored text for refresh and delete:
  // a change here changes every state, and old texts must keep working (provider/dynamic/impl.ts).
  it.each(["NixosContainer", "NixosHost", "NixosFleet"] as const)("%s: only the kind and operation names, as pinned", async (kind) => {
    const provider = providerFor(kind);
    const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
    expect(text).toBe(readFileSync(join(__dirname, "golden", `dynamic-provider-${kind}.js`), "utf8"));
  });

  it("the entry points release 0.1.0's text calls are still served", () => {
    const impl = require("../../provider/dynamic/impl");
    for (const name of ["check", "diff", "create", "read", "update", "remove", "hostCheck", "hostDiff", "hostCreate", "hostRead", "hostUpdate", "hostRemove"]) {
      expect(typeof impl[name]).toBe("function");
    }
  });
});

describe("answers to the engine (Pulumi 3.248 races on a partially failed update, answers.ts)", () => {
  it("a partially failed update is answered alone, a quiet gap away from the answers beside it; the others answer at once", async () => {
    const stamps: Record<string, number> = {};
    const { ops: containers } = opsFor("NixosContainer");
    const host = opsFor("NixosHost");
    const first = host.ops.check({}, hostInputs());
    const { outs } = await host.ops.create(first.inputs);
    // The host's engine now fails the changed container: the update fails partially.
    const failing = { ...standInContext().ctx, engineFor: () => ({ applyBatch: async (changes: ContainerChange[]) => changes.map((c) => ({ name: c.name, error: new Error("health check failed") })) }) as unknown as HostEngine };
    const failingHost = resourceOps(KINDS.NixosHost, failing, silentProgress);
    const next = failingHost.check(outs, hostInputs({ autoStart: true }));
    const one = containers.check({}, { name: "web", connection: CONNECTION, config: {} });
    const two = containers.check({}, { name: "api", connection: CONNECTION, config: {} });

    const start = Date.now();
    const stamp = (name: string) => (x: unknown) => ((stamps[name] = Date.now() - start), x);
    const created = containers.create(one.inputs).then(stamp("created before"));
    const updated = failingHost.update("id", outs, next.inputs).then(stamp("update"), (e) => (stamp("update")(e), e));
    const after = containers.create(two.inputs).then(stamp("created after"));
    // (A third answer after the failed update's would wait the gap too: the next test.)
    const [, failure] = await Promise.all([created, updated, after]);

    expect(failure).toBeInstanceOf(PartialFailure);
    // The creates answer at once; the failed update a quiet gap after the last of them.
    expect(Math.max(stamps["created before"], stamps["created after"])).toBeLessThan(QUIET_GAP_MS / 2);
    for (const other of ["created before", "created after"]) expect(Math.abs(stamps["update"] - stamps[other])).toBeGreaterThanOrEqual(QUIET_GAP_MS - 5);
  });

  it("answers leave in order and wait only around a partially failed update", async () => {
    jest.useFakeTimers({ now: 1000 });
    try {
      const pacer = answerPacer(300);
      const left: string[] = [];
      const go = (name: string, p: Promise<void>) => p.then(() => left.push(`${name}@${Date.now()}`));
      const all = Promise.all([go("a", pacer.turn()), go("b", pacer.turn()), go("partial", pacer.alone()), go("c", pacer.turn())]);
      await jest.advanceTimersByTimeAsync(1000);
      await all;
      expect(left).toEqual(["a@1000", "b@1000", "partial@1300", "c@1600"]);
    } finally {
      jest.useRealTimers();
    }
  });
});
