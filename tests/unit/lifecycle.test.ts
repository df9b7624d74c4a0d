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
