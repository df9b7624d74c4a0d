/**
 * The real Pulumi CLI, the language host and the dynamic-provider plugin,
 * running examples/fleet against the simulated fleet: what a user sees.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack, diagnostics } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const PROJECT = join(ROOT, "examples", "fleet");
const STACK = "e2e";

let fleet: Fleet;
let stack: PulumiStack;
let work: string;
let inventory: string;

const sessions = () => [1, 2, 3].map((i) => fleet.sshLog(i).length);
const rebuildCount = (i: number) => fleet.events(i).filter((e) => e.event === "rebuild").length;
const connections = (i: number) => new Set(fleet.sshLog(i).map((s) => s.conn)).size;
const moduleOn = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos/pulumi-containers/${name}.nix`).stdout;
const editInventory = (from: string, to: string) => {
  const text = readFileSync(inventory, "utf8");
  if (!text.includes(from)) throw new Error(`inventory has no ${from}`);
  writeFileSync(inventory, text.replace(from, to));
};

beforeAll(() => {
  fleet = startFleet(140, 3);
  // host2's db binds /srv/db: systemd-nspawn refuses to start a container whose bind source is missing.
  // Made on the machine side of the host's /srv: an SSH session would count as one of the run's.
  mkdirSync(join(fleet.host(2).stateDir, "fs/srv/db"), { recursive: true });
  work = mkdtempSync(join(tmpdir(), "e2e-fleet-"));
  inventory = join(work, "inventory.yaml");
  copyFileSync(join(PROJECT, "inventory.yaml"), inventory);
  stack = new PulumiStack(PROJECT, STACK);
  rmSync(join(PROJECT, `Pulumi.${STACK}.yaml`), { force: true });
  stack.init();
  execFileSync(join(ROOT, "scripts", "fleet-stack-config.js"), [PROJECT, STACK, join(fleet.state, "manifest.json")]);
  stack.must(["config", "set", "inventory", inventory, "--stack", STACK]);
});

afterAll(() => {
  stack?.dispose();
  fleet?.down();
  if (work) rmSync(work, { recursive: true, force: true });
});

const allDiagnostics = (output: string) => [...diagnostics(output).values()].flat();
const summaryOf = (output: string, i: number) => allDiagnostics(output).filter((l) => l.startsWith(`${fleet.host(i).address}: `) && / rebuilds? \(|no rebuild/.test(l));

const EXPECTED = ["host1/api", "host1/web", "host2/cache", "host2/db", "host3/monitor", "host3/worker"];

describe("pulumi up on examples/fleet", () => {
  it("creates every container on the right host, each running the system it was given", () => {
    const r = stack.up();
    const provider = [1, 2, 3].map(connections);
    expect(r.code).toBe(0);
    // The stack, the Fleet component and one NixosHost per host.
    expect(r.all).toMatch(/\+ 5 created/);
    const { containers } = stack.outputs();
    expect(Object.keys(containers).sort()).toEqual(EXPECTED);
    for (const [key, c] of Object.entries<any>(containers)) {
      const [hostName, name] = key.split("/");
      const i = Number(hostName.replace("host", ""));
      expect(c.host).toBe(fleet.host(i).address);
      expect(moduleOn(i, name)).toContain(`containers.${name} = {`);
      if (name === "worker") {
        expect(c.status).toBe("down");
        continue;
      }
      expect(c.status).toBe("up");
      expect(fleet.unitState(i, name)).toMatchObject({ state: "active", system: c.systemPath });
    }
    // One SSH connection and one rebuild per host for the whole run.
    expect([1, 2, 3].map(rebuildCount)).toEqual([1, 1, 1]);
    expect(provider).toEqual([1, 1, 1]);

    // While it ran, each host's row said what it was doing.
    for (const i of [1, 2, 3]) {
      const address = fleet.host(i).address.replace(/\./g, "\\.");
      for (const phase of ["locking", "writing 2 modules", "nixos-rebuild switch: building", "nixos-rebuild switch: activating", "done in"]) {
        expect(r.stdout).toMatch(new RegExp(`NixosHost host${i} creating \\(\\d+s\\) .*${address}: (create .*: )?${phase}`));
      }
    }
    // At the end: one summary line per host, on its row, and none of the routine lines.
    for (const i of [1, 2, 3]) {
      expect(diagnostics(r.stdout).get(`pulumi-nodejs:dynamic/nixos:NixosHost (host${i})`)).toEqual([
        expect.stringMatching(new RegExp(`^${fleet.host(i).address.replace(/\./g, "\\.")}: 1 rebuild \\(switch\\) in \\d+\\.\\d s, 2 containers: 2 created$`)),
      ]);
    }
    expect(allDiagnostics(r.stdout)).toHaveLength(3);
  });

  it("changes nothing on a second up, and opens no SSH session", () => {
    const before = sessions();
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/5 unchanged/);
    expect(sessions()).toEqual(before);
  });
});

describe("a one-line change to one container", () => {
  it("preview --diff shows the changed Nix lines of that container only, without any SSH connection", () => {
    editInventory("port: 6379", "port: 6380");
    const before = sessions();
    const r = stack.preview("--diff");
    expect(r.code).toBe(0);
    expect(sessions()).toEqual(before);
    expect(r.all).toMatch(/-\s+port = 6379;\n\s+\+\s+port = 6380;/);
    const updates = r.all.match(/~ pulumi-nodejs:dynamic\/nixos:NixosHost: \(update\)\n\s+\[id=([^\]]+)\]/g) ?? [];
    expect(updates).toHaveLength(1);
    expect(updates[0]).toContain(`[id=${fleet.host(2).address}]`);
    // Only the changed container of that host is printed, not its neighbour db.
    expect(r.all).toMatch(/~ containers: \{\n\s+~ cache: \{/);
    expect(r.all).not.toMatch(/postgresql|ensureDatabases/);
    expect(r.all).toMatch(/~ 1 to update/);
    expect(diagnostics(r.stdout).size).toBe(0);
  });

  it("preview-md renders the same change for a pull request", () => {
    const json = stack.preview("--json");
    expect(json.code).toBe(0);
    // The golden names the fleet's default test subnet (TEST_SUBNET_BASE may move it).
    const markdown = execFileSync(process.execPath, [join(ROOT, "dist", "provider", "cli", "main.js"), "preview-md"], { input: json.stdout, encoding: "utf8" })
      .replaceAll(`${fleet.subnet}.`, "127.0.140.");
    const golden = join(__dirname, "golden", "preview-md-cache-port.md");
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(golden)) writeFileSync(golden, markdown);
    expect(markdown).toBe(readFileSync(golden, "utf8"));
  });

  it("up applies it with one rebuild on that host and none elsewhere", () => {
    const before = [1, 2, 3].map(rebuildCount);
    const r = stack.up();
    expect(r.code).toBe(0);
    // The summary counts the host's other container as unchanged, on the one resource of the round.
    expect(diagnostics(r.stdout).get("pulumi-nodejs:dynamic/nixos:NixosHost (host2)")).toEqual([
      expect.stringMatching(/: 1 rebuild \(switch\) in \d+\.\d s, 2 containers: 1 unchanged, 1 updated$/),
    ]);
    expect(allDiagnostics(r.stdout)).toHaveLength(1);
    expect([1, 2, 3].map(rebuildCount)).toEqual([before[0], before[1] + 1, before[2]]);
    expect(moduleOn(2, "cache")).toContain("port = 6380;");
    expect(fleet.unitState(2, "cache").system).toBe(stack.outputs().containers["host2/cache"].systemPath);
  });
});

describe("PULUMI_NIXOS_CONTAINERS_LOG=debug", () => {
  it("brings back every line of the remote commands, on the resource's row and under Diagnostics", () => {
    editInventory("port: 9090", "port: 9092");
    process.env.PULUMI_NIXOS_CONTAINERS_LOG = "debug";
    let r;
    try {
      r = stack.up();
    } finally {
      delete process.env.PULUMI_NIXOS_CONTAINERS_LOG;
    }
    expect(r.code).toBe(0);
    const lines = diagnostics(r.stdout).get("pulumi-nodejs:dynamic/nixos:NixosHost (host3)") ?? [];
    const address = fleet.host(3).address;
    for (const line of ["writing /etc/nixos/pulumi-containers/monitor.nix", "nixos-rebuild switch (1 container)", "| building the system configuration...", "| activating the configuration...", "| setting up /etc..."]) {
      expect(lines).toContain(`${address}: ${line}`);
    }
    expect(lines.at(-1)).toMatch(/1 rebuild \(switch\) in .*, 2 containers: 1 unchanged, 1 updated$/);
    // The update wrote the modules check rendered: nothing was checked (rendered) a second time.
    expect(r.all).not.toMatch(/check did not answer in this process/);
  });
});

describe("renaming and removing containers of a host", () => {
  it("a rename is one update of the host: one connection, one rebuild, the old module gone and the new one there", () => {
    editInventory("      worker:\n", "      batch:\n");
    const before = [1, 2, 3].map(rebuildCount);
    const conns = [1, 2, 3].map(connections);
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/~ 1 updated/);
    expect([1, 2, 3].map(rebuildCount)).toEqual([before[0], before[1], before[2] + 1]);
    expect([1, 2, 3].map(connections)).toEqual([conns[0], conns[1], conns[2] + 1]);
    expect(fleet.ok(3, "ls /etc/nixos/pulumi-containers").trim().split("\n").sort()).toEqual(["batch.nix", "default.nix", "monitor.nix"]);
    expect(Object.keys(stack.outputs().containers)).toContain("host3/batch");
  });

  it("removing a container from the inventory removes it from its host only", () => {
    const text = readFileSync(inventory, "utf8");
    const start = text.indexOf("      batch:\n");
    const end = text.indexOf("\n", text.indexOf("systemPackages", start)) + 1;
    writeFileSync(inventory, text.slice(0, start) + text.slice(end));
    const before = [1, 2, 3].map(rebuildCount);
    const r = stack.up();
    expect(r.code).toBe(0);
    expect([1, 2, 3].map(rebuildCount)).toEqual([before[0], before[1], before[2] + 1]);
    expect(fleet.ok(3, "ls /etc/nixos/pulumi-containers").trim().split("\n").sort()).toEqual(["default.nix", "monitor.nix"]);
    expect(fleet.ok(3, "nixos-container list").trim()).toBe("monitor");
  });
});

describe("drift", () => {
  it("refresh reports a hand edit of a module, and the next up restores it", () => {
    const original = moduleOn(1, "web");
    fleet.ok(1, "sed -i 's/enable = true;/enable = false;/' /etc/nixos/pulumi-containers/web.nix");
    const refresh = stack.run(["refresh", "--yes", "--stack", STACK, "--diff"]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).toMatch(/~ 1 updated/);
    expect(refresh.all).toMatch(/NixosHost::host1\]\n\s+~ containers: \{\n\s+~ web: \{/);
    // Nothing routine is left under Diagnostics.
    expect(diagnostics(refresh.stdout).size).toBe(0);
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/~ 1 updated/);
    expect(moduleOn(1, "web")).toBe(original);
  });
});

describe("failures stay with their resource", () => {
  it("a broken config fails that container only; the others of the run land; the fix converges", () => {
    editInventory('script: "exec python3 -m http.server 9000"', 'script: { $nix: "undefinedVariable" }');
    editInventory("port: 6380", "port: 6381");
    const r = stack.up();
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/NixosHost \(host1\):\n(?: +\S.*\n)*? +error: [\s\S]*\* api: [\s\S]*undefined variable 'undefinedVariable'/);
    // The error, with the last lines of the rebuild, is under the failing host; its summary says so.
    const hostDiagnostics = diagnostics(r.stdout).get("pulumi-nodejs:dynamic/nixos:NixosHost (host1)")?.join("\n") ?? "";
    expect(hostDiagnostics).toMatch(/nixos-rebuild switch failed at evaluation[\s\S]*undefined variable 'undefinedVariable'/);
    expect(summaryOf(r.stdout, 1)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in .*, 2 containers: 1 unchanged, 1 failed$/)]);
    expect(moduleOn(1, "api")).not.toContain("undefinedVariable");
    expect(moduleOn(2, "cache")).toContain("port = 6381;");
    editInventory('script: { $nix: "undefinedVariable" }', 'script: "exec python3 -m http.server 9001"');
    const fixed = stack.up();
    expect(fixed.code).toBe(0);
    expect(moduleOn(1, "api")).toContain("9001");
  });

  it("a host that is down fails its containers with a clear error; other hosts land", () => {
    fleet.must("stop-host", "3");
    try {
      editInventory("port: 9092", "port: 9091");
      editInventory("port: 6381", "port: 6382");
      const r = stack.up();
      expect(r.code).not.toBe(0);
      expect(r.all).toMatch(/NixosHost \(host3\):\n(?: +\S.*\n)*? +error: [\s\S]*\* monitor: [\s\S]*(connect|ECONNREFUSED)/);
      // The host was never reached: no lock was taken, so no warning about giving it back.
      expect(r.all).not.toMatch(/could not release the deployment lock/);
      expect(r.all).toMatch(new RegExp(`${fleet.host(3).address.replace(/\./g, "\\.")}`));
      expect(moduleOn(2, "cache")).toContain("port = 6382;");
    } finally {
      fleet.must("start-host", "3");
    }
    const again = stack.up();
    expect(again.code).toBe(0);
    expect(moduleOn(3, "monitor")).toContain("port = 9091;");
  });
});

describe("secrets", () => {
  it("the exported state and every CLI output hold no credential in clear", () => {
    const key = readFileSync(fleet.host(1).users.root.privateKeyPath, "utf8");
    const keyLines = key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    const state = stack.exportState();
    expect(state).toMatch(/"secure"|"ciphertext"/);
    for (const line of keyLines) expect(state).not.toContain(line);
    const shown = stack.must(["stack", "output", "--json", "--stack", STACK]).stdout + stack.preview("--diff").all;
    for (const line of keyLines) expect(shown).not.toContain(line);
  });
});

describe("pulumi destroy", () => {
  it("removes every container; the hosts declare no container any more", () => {
    const r = stack.run(["destroy", "--yes", "--stack", STACK]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/NixosHost host1 deleting \(\d+s\) .*: nixos-rebuild switch: activating/);
    // host3 has one container left (its worker was removed above).
    for (const [i, n] of [[1, "2 containers: 2"], [2, "2 containers: 2"], [3, "1 container: 1"]] as const) {
      expect(summaryOf(r.stdout, i)).toEqual([expect.stringMatching(new RegExp(`: 1 rebuild \\(switch\\) in \\d+\\.\\d s, ${n} deleted$`))]);
    }
    expect(allDiagnostics(r.stdout)).toHaveLength(3);
    for (const i of [1, 2, 3]) {
      expect(fleet.ok(i, "ls /etc/nixos/pulumi-containers").trim().split("\n")).toEqual(["default.nix"]);
      expect(fleet.ok(i, "ls /etc/nixos-containers 2>/dev/null | wc -l").trim()).toBe("0");
      expect(fleet.ok(i, "nixos-container list | wc -l").trim()).toBe("0");
    }
  });
});
