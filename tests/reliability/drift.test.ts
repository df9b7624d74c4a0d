/**
 * State and host disagree: what refresh reports and what the next `pulumi up`
 * does, through the real dynamic-provider plugin (gRPC) against the
 * simulated fleet. Container data survives every case.
 */
import { readFileSync } from "node:fs";
import type { Fleet } from "../hosts/helpers";
import type { DynamicProviderHarness } from "../support/dynamic-harness";
import { configHash } from "../../provider/container/module";
import { expectMarkers, expectWhole, rebuildCount, sessions, snapshot, versionedArgs, writeMarkers, useFleetAndProvider } from "./support";

let fleet: Fleet;
let provider: DynamicProviderHarness;
useFleetAndProvider(131, 1, (f, p) => {
  fleet = f;
  provider = p;
});

const connection = () => {
  const h = fleet.host(1);
  return { host: h.address, hostKey: h.hostKey, privateKey: readFileSync(h.users.root.privateKeyPath, "utf8") };
};
type Props = Record<string, unknown>;
const NAMES = ["keep", "edited", "handgone"];

async function up(name: string, version: string): Promise<{ id: string; outs: Props; inputs: Props }> {
  const checked = await provider.check(name, {}, { ...versionedArgs(name, version), connection: connection() });
  expect(checked.failures).toEqual([]);
  const created = await provider.create(name, checked.inputs);
  return { id: created.id, outs: created.properties, inputs: checked.inputs };
}

const state: Record<string, { id: string; outs: Props; inputs: Props }> = {};

beforeAll(async () => {
  for (const name of NAMES) state[name] = await up(name, "v1");
  writeMarkers(fleet, 1, NAMES);
});

it("a container removed by hand (module deleted, host rebuilt): refresh reports it gone; the next up creates it again with its data", async () => {
  fleet.ok(1, "rm /etc/nixos/pulumi-containers/handgone.nix && nixos-rebuild switch >/dev/null 2>&1");
  const { id, outs, inputs } = state.handgone;
  const refreshed = await provider.read("handgone", id, outs, inputs);
  expect(refreshed.id).toBe(""); // Pulumi drops it from the state
  expectMarkers(fleet, 1, NAMES);
  // The program still declares it: the next up creates it.
  state.handgone = await up("handgone", "v1");
  expect(state.handgone.outs.status).toBe("up");
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/handgone.nix")).toBe(state.handgone.inputs.nixConfig);
  expect(expectWhole(snapshot(fleet, 1), NAMES)).toBe("files");
  expectMarkers(fleet, 1, NAMES);
});

it("a module edited by hand: refresh shows the edit as drift (nixConfig, configHash); the next up restores the module", async () => {
  const { id, outs, inputs } = state.edited;
  fleet.ok(1, "sed -i 's/edited:v1/edited:by-hand/' /etc/nixos/pulumi-containers/edited.nix && nixos-rebuild switch >/dev/null 2>&1");
  const refreshed = await provider.read("edited", id, outs, inputs);
  expect(refreshed.id).toBe(id);
  expect(refreshed.properties.nixConfig).toContain("edited:by-hand");
  expect(refreshed.properties.configHash).toBe(configHash(refreshed.properties.nixConfig as string));
  expect(refreshed.properties.configHash).not.toBe(outs.configHash);
  expect(refreshed.inputs?.nixConfig).toContain("edited:by-hand");
  // The program is unchanged; the refreshed state differs from it: an update.
  const program = (await provider.check("edited", refreshed.inputs!, { ...versionedArgs("edited", "v1"), connection: connection() })).inputs;
  const d = await provider.diff("edited", id, refreshed.properties, refreshed.inputs!, program);
  expect(d.changes).toBe(2); // DIFF_SOME
  const restored = await provider.update("edited", id, refreshed.properties, refreshed.inputs!, program);
  expect(restored.nixConfig).toBe(program.nixConfig);
  expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/edited.nix")).toBe(program.nixConfig);
  const s = snapshot(fleet, 1);
  expect(expectWhole(s, NAMES)).toBe("files");
  expect(s.modules.edited).toBe("v1");
  expect(s.running.edited.version).toBe("v1");
  expectMarkers(fleet, 1, NAMES);
});

it("a container of the same name declared outside the provider (in configuration.nix): create refuses, names it and adopt, touches nothing", async () => {
  fleet.ok(
    1,
    `sed -i 's|^}$|  containers.outside = { autoStart = true; config = { ... }: { environment.etc.v.text = "outside:theirs"; }; };\\n}|' /etc/nixos/configuration.nix && nixos-rebuild switch >/dev/null 2>&1`,
  );
  writeMarkers(fleet, 1, ["outside"]);
  const before = snapshot(fleet, 1);
  const rebuilds = rebuildCount(fleet, 1);
  const checked = await provider.check("outside", {}, { ...versionedArgs("outside", "ours"), connection: connection() });
  const failure = await provider.create("outside", checked.inputs).catch((e: Error) => e);
  expect(String(failure)).toMatch(/a container named "outside" already exists on this host \(\/etc\/nixos-containers\/outside\.conf\) and is not managed by pulumi-nixos-containers.*adopt: true/s);
  expect(rebuildCount(fleet, 1)).toBe(rebuilds);
  const after = snapshot(fleet, 1);
  expect(after.moduleText).toEqual(before.moduleText);
  expect(after.current).toBe(before.current);
  expect(fleet.ssh(1, "test -e /etc/nixos/pulumi-containers/outside.nix").code).not.toBe(0);
  expect(after.running.outside.state).toBe("active");
  expect(after.declared.outside).toBe("theirs");
  expect(after.journal).toEqual([]);
  expectMarkers(fleet, 1, [...NAMES, "outside"]);
});

it("a refresh of a container whose host is unreachable fails clearly and changes nothing; it never reports the container gone", async () => {
  const { id, outs, inputs } = state.keep;
  const before = sessions(fleet, 1);
  fleet.must("stop-host", "1");
  try {
    const failed = await provider.read("keep", id, outs, { ...inputs, connection: { ...(inputs.connection as Props), timeouts: { connectSeconds: 2, connectAttempts: 1, commandSeconds: 600, keepaliveSeconds: 15 } } }).catch((e: Error) => e);
    expect(String(failed)).toContain(`cannot connect to root@${fleet.host(1).address}:22: connection refused`);
  } finally {
    fleet.must("start-host", "1");
  }
  expect(sessions(fleet, 1)).toBe(before);
  const again = await provider.read("keep", id, outs, inputs);
  expect(again.id).toBe(id);
  expect(again.properties.nixConfig).toBe(inputs.nixConfig);
  expectMarkers(fleet, 1, [...NAMES, "outside"]);
});
