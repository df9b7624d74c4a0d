/**
 * The real Pulumi CLI, the language host and the dynamic-provider plugin, running
 * examples/fleet against the simulated fleet: what a user sees. The Fleet builds one
 * NixosFleet: one Pulumi step for every host, the hosts converging at once inside it.
 * Every scenario counts, from the hosts' own logs, the rebuilds and SSH connections of each
 * host: one of each on a host that changes, none on the others.
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
const ROW = "pulumi-nodejs:dynamic/nixos:NixosFleet (fleet)";
const HOSTS = [1, 2, 3];

let fleet: Fleet;
let stack: PulumiStack;
let work: string;
let inventory: string;

const sessions = () => HOSTS.map((i) => fleet.sshLog(i).length);
const rebuildCount = (i: number) => fleet.events(i).filter((e) => e.event === "rebuild").length;
const connections = (i: number) => new Set(fleet.sshLog(i).map((s) => s.conn)).size;
const moduleOn = (i: number, name: string) => fleet.ssh(i, `cat /etc/nixos/pulumi-containers/${name}.nix`).stdout;
const address = (i: number) => fleet.host(i).address.replace(/\./g, "\\.");
const editInventory = (from: string, to: string) => {
  const text = readFileSync(inventory, "utf8");
  if (!text.includes(from)) throw new Error(`inventory has no ${from}`);
  writeFileSync(inventory, text.replace(from, to));
};

/** Per host, what a run did there: rebuilds and SSH connections, from the hosts' logs. */
function counted(run: () => void): { rebuilds: number[]; connections: number[] } {
  const rebuilds = HOSTS.map(rebuildCount);
  const conns = HOSTS.map(connections);
  run();
  return { rebuilds: HOSTS.map((i) => rebuildCount(i) - rebuilds[i - 1]), connections: HOSTS.map((i) => connections(i) - conns[i - 1]) };
}

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
/** What a preview or refresh prints of the resources, without the stack's outputs after them. */
const resourcesPart = (output: string) => output.split("--outputs:--")[0];
/** The summary lines of the run, per host, on the fleet's row. */
const summaryOf = (output: string, i: number) => (diagnostics(output).get(ROW) ?? []).filter((l) => l.startsWith(`${fleet.host(i).address}: `) && / rebuilds? \(|no rebuild/.test(l));

const EXPECTED = ["host1/api", "host1/web", "host2/cache", "host2/db", "host3/monitor", "host3/worker"];

describe("pulumi up on examples/fleet", () => {
  it("creates every container on the right host in one step, each host with one connection and one rebuild", () => {
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    // The stack, the Fleet component and one NixosFleet holding every host.
    expect(r.all).toMatch(/\+ 3 created/);
    expect(did).toEqual({ rebuilds: [1, 1, 1], connections: [1, 1, 1] });
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
    // While it ran, the fleet's row said what each host was doing, and how many were done.
    for (const i of HOSTS) {
      for (const phase of ["locking", "writing 2 modules", "nixos-rebuild switch: building", "nixos-rebuild switch: activating", "done in"]) {
        expect(r.stdout).toMatch(new RegExp(`NixosFleet fleet creating \\(\\d+s\\) .*${address(i)}: (create .*: )?${phase}`));
      }
    }
    expect(r.stdout).toMatch(/NixosFleet fleet creating \(\d+s\) 3 of 3 hosts done/);
    // At the end: one summary line per host, on the fleet's row, and none of the routine lines.
    for (const i of HOSTS) {
      expect(summaryOf(r.stdout, i)).toEqual([expect.stringMatching(new RegExp(`^${address(i)}: 1 rebuild \\(switch\\) in \\d+\\.\\d s, 2 containers: 2 created$`))]);
    }
    expect(allDiagnostics(r.stdout)).toHaveLength(3);
  });

  it("changes nothing on a second up, and opens no SSH session", () => {
    const before = sessions();
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/3 unchanged/);
    expect(sessions()).toEqual(before);
  });
});

describe("a one-line change to one container", () => {
  it("preview --diff shows the changed Nix lines of that container only, under its host, without any SSH connection", () => {
    editInventory("port: 6379", "port: 6380");
    const before = sessions();
    const r = stack.preview("--diff");
    expect(r.code).toBe(0);
    expect(sessions()).toEqual(before);
    expect(r.all).toMatch(/-\s+port = 6379;\n\s+\+\s+port = 6380;/);
    expect(r.all).toMatch(/~ pulumi-nodejs:dynamic\/nixos:NixosFleet: \(update\)\n\s+\[id=fleet\]/);
    // Only the changed container of that host is printed: not its neighbour db, not the other hosts.
    expect(r.all).toMatch(/~ hosts: \{\n\s+~ host2: \{\n\s+~ containers: \{\n\s+~ cache: \{/);
    expect(resourcesPart(r.all)).not.toMatch(/postgresql|ensureDatabases|~ host1|~ host3/);
    // The containers' outputs are computed by the update: not shown as removed, nor as secret.
    expect(r.all).not.toMatch(/- status|\[secret\]/);
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

  it("up applies it with one connection and one rebuild on that host, none elsewhere", () => {
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    expect(did).toEqual({ rebuilds: [0, 1, 0], connections: [0, 1, 0] });
    // The summary counts the host's other container as unchanged; the hosts left alone have none.
    expect(diagnostics(r.stdout).get(ROW)).toEqual([expect.stringMatching(new RegExp(`^${address(2)}: 1 rebuild \\(switch\\) in \\d+\\.\\d s, 2 containers: 1 unchanged, 1 updated$`))]);
    expect(allDiagnostics(r.stdout)).toHaveLength(1);
    expect(moduleOn(2, "cache")).toContain("port = 6380;");
    expect(fleet.unitState(2, "cache").system).toBe(stack.outputs().containers["host2/cache"].systemPath);
  });
});

describe("a change that reaches every host", () => {
  it("converges every host at once in one step: one connection and one rebuild each, a summary line each", () => {
    editInventory('script: "exec python3 -m http.server 9000"', 'script: "exec python3 -m http.server 9001"');
    editInventory("port: 6380", "port: 6381");
    editInventory("port: 9090", "port: 9092");
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/~ 1 updated/);
    expect(did).toEqual({ rebuilds: [1, 1, 1], connections: [1, 1, 1] });
    for (const i of HOSTS) expect(summaryOf(r.stdout, i)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in \d+\.\d s, 2 containers: 1 unchanged, 1 updated$/)]);
    // The hosts' rounds overlapped: each started before any other had finished.
    const span = (i: number) => {
      const t = fleet.sshLog(i).slice(-4).map((s) => Date.parse(s.ts));
      return [Math.min(...t), Math.max(...t)];
    };
    const spans = HOSTS.map(span);
    expect(Math.max(...spans.map(([start]) => start))).toBeLessThan(Math.min(...spans.map(([, end]) => end)));
    expect(moduleOn(1, "api")).toContain("9001");
    expect(moduleOn(3, "monitor")).toContain("port = 9092;");
  });
});

describe("PULUMI_NIXOS_CONTAINERS_LOG=debug", () => {
  it("brings back every line of the remote commands, on the fleet's row and under Diagnostics", () => {
    editInventory("port: 9092", "port: 9093");
    process.env.PULUMI_NIXOS_CONTAINERS_LOG = "debug";
    let r;
    try {
      r = stack.up();
    } finally {
      delete process.env.PULUMI_NIXOS_CONTAINERS_LOG;
    }
    expect(r.code).toBe(0);
    const lines = diagnostics(r.stdout).get(ROW) ?? [];
    const host3 = fleet.host(3).address;
    for (const line of ["writing /etc/nixos/pulumi-containers/monitor.nix", "nixos-rebuild switch (1 container)", "| building the system configuration...", "| activating the configuration...", "| setting up /etc..."]) {
      expect(lines).toContain(`${host3}: ${line}`);
    }
    expect(lines.at(-1)).toMatch(/1 rebuild \(switch\) in .*, 2 containers: 1 unchanged, 1 updated$/);
    // The update wrote the modules check rendered: nothing was checked (rendered) a second time.
    expect(r.all).not.toMatch(/check did not answer in this process/);
  });
});

describe("renaming and removing containers", () => {
  it("a rename is one update: one connection and one rebuild on that host, the old module gone and the new one there", () => {
    editInventory("      worker:\n", "      batch:\n");
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/~ 1 updated/);
    expect(did).toEqual({ rebuilds: [0, 0, 1], connections: [0, 0, 1] });
    expect(fleet.ok(3, "ls /etc/nixos/pulumi-containers").trim().split("\n").sort()).toEqual(["batch.nix", "default.nix", "monitor.nix"]);
    expect(Object.keys(stack.outputs().containers)).toContain("host3/batch");
  });

  it("removing a container from the inventory removes it from its host only", () => {
    const text = readFileSync(inventory, "utf8");
    const start = text.indexOf("      batch:\n");
    const end = text.indexOf("\n", text.indexOf("systemPackages", start)) + 1;
    writeFileSync(inventory, text.slice(0, start) + text.slice(end));
    const did = counted(() => expect(stack.up().code).toBe(0));
    expect(did).toEqual({ rebuilds: [0, 0, 1], connections: [0, 0, 1] });
    expect(fleet.ok(3, "ls /etc/nixos/pulumi-containers").trim().split("\n").sort()).toEqual(["default.nix", "monitor.nix"]);
    expect(fleet.ok(3, "nixos-container list").trim()).toBe("monitor");
  });
});

describe("drift", () => {
  it("refresh reads every host at once and reports a hand edit on one of them; the next up restores it there only", () => {
    const original = moduleOn(1, "web");
    fleet.ok(1, "sed -i 's/enable = true;/enable = false;/' /etc/nixos/pulumi-containers/web.nix");
    let refresh!: ReturnType<PulumiStack["run"]>;
    const read = counted(() => (refresh = stack.run(["refresh", "--yes", "--skip-preview", "--stack", STACK, "--diff"])));
    expect(refresh.code).toBe(0);
    expect(read).toEqual({ rebuilds: [0, 0, 0], connections: [1, 1, 1] });
    expect(refresh.all).toMatch(/~ 1 updated/);
    expect(refresh.all).toMatch(/NixosFleet::fleet\]\n\s+~ hosts: \{\n\s+~ host1: \{\n\s+~ containers: \{\n\s+~ web: \{/);
    expect(resourcesPart(refresh.all)).not.toMatch(/~ host2|~ host3/);
    // Nothing routine is left under Diagnostics.
    expect(diagnostics(refresh.stdout).size).toBe(0);
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/~ 1 updated/);
    expect(did).toEqual({ rebuilds: [1, 0, 0], connections: [1, 0, 0] });
    expect(moduleOn(1, "web")).toBe(original);
  });
});

describe("targeting one host", () => {
  const only = (hosts: string, run: () => ReturnType<PulumiStack["up"]>) => {
    process.env.PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS = hosts;
    try {
      return run();
    } finally {
      delete process.env.PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS;
    }
  };

  it("PULUMI_NIXOS_CONTAINERS_ONLY_HOSTS=host2: the preview shows that host's change only, and up touches no other host", () => {
    editInventory('script: "exec python3 -m http.server 9001"', 'script: "exec python3 -m http.server 9002"');
    editInventory("port: 6381", "port: 6382");
    const preview = only("host2", () => stack.preview("--diff"));
    expect(preview.code).toBe(0);
    // onlyHosts shows as an input of this run (it is no change of its own: the next run does not undo it).
    expect(preview.all).toMatch(/~ hosts\s*: \{\n\s+~ host2: \{\n\s+~ containers: \{\n\s+~ cache: \{/);
    expect(preview.all).toMatch(/\+ onlyHosts: \[\n\s+\+\s+\[0\]: "host2"/);
    expect(preview.all).toMatch(/\+\s+port = 6382;/);
    expect(resourcesPart(preview.all)).not.toMatch(/9002|~ host1/);
    let r!: ReturnType<PulumiStack["up"]>;
    const before = sessions();
    const did = counted(() => (r = only("host2", () => stack.up())));
    expect(r.code).toBe(0);
    expect(did).toEqual({ rebuilds: [0, 1, 0], connections: [0, 1, 0] });
    expect([sessions()[0], sessions()[2]]).toEqual([before[0], before[2]]);
    expect(moduleOn(2, "cache")).toContain("port = 6382;");
    expect(moduleOn(1, "api")).toContain("9001");
  });

  it("the next run without it brings the other host's change, and only that", () => {
    const preview = stack.preview("--diff");
    expect(preview.all).toMatch(/~ hosts\s*: \{\n\s+~ host1: \{\n\s+~ containers: \{\n\s+~ api: \{/);
    expect(resourcesPart(preview.all)).not.toMatch(/~ host2|~ host3|~ web/);
    const did = counted(() => expect(stack.up().code).toBe(0));
    expect(did).toEqual({ rebuilds: [1, 0, 0], connections: [1, 0, 0] });
    expect(moduleOn(1, "api")).toContain("9002");
  });
});

describe("failures stay with their host and container", () => {
  it("a broken container on one host is rolled back there; the other containers and hosts land; the fix converges", () => {
    editInventory('script: "exec python3 -m http.server 9002"', 'script: { $nix: "undefinedVariable" }');
    editInventory("port: 6382", "port: 6383");
    const r = stack.up();
    expect(r.code).not.toBe(0);
    // The error names the host, the container and the Nix error, under the fleet's row.
    expect(r.all).toMatch(new RegExp(`NixosFleet \\(fleet\\):\\n(?: +\\S.*\\n)*? +error: [\\s\\S]*\\* host1/api: ${address(1)}: nixos-rebuild switch failed at evaluation[\\s\\S]*undefined variable 'undefinedVariable'`));
    const rows = diagnostics(r.stdout).get(ROW)?.join("\n") ?? "";
    expect(rows).toMatch(/nixos-rebuild switch failed at evaluation[\s\S]*undefined variable 'undefinedVariable'/);
    expect(summaryOf(r.stdout, 1)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in .*, 2 containers: 1 unchanged, 1 failed$/)]);
    expect(summaryOf(r.stdout, 2)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in .*, 2 containers: 1 unchanged, 1 updated$/)]);
    expect(moduleOn(1, "api")).not.toContain("undefinedVariable");
    expect(moduleOn(2, "cache")).toContain("port = 6383;");
    // The state records what each host runs: the next up retries the failed container only.
    editInventory('script: { $nix: "undefinedVariable" }', 'script: "exec python3 -m http.server 9003"');
    let fixed!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (fixed = stack.up()));
    expect(fixed.code).toBe(0);
    expect(did).toEqual({ rebuilds: [1, 0, 0], connections: [1, 0, 0] });
    expect(moduleOn(1, "api")).toContain("9003");
  });

  it("a host that goes down during its rebuild fails its own containers; the other hosts land; the next up converges", async () => {
    fleet.must("fault", "3", "rebuild-sleep", "6", "build");
    editInventory("port: 9093", "port: 9094");
    editInventory("port: 6383", "port: 6384");
    const rebuildsOn2 = rebuildCount(2);
    const running = stack.upAsync();
    // Wait until host3's round is in its rebuild, then take the host down.
    const deadline = Date.now() + 120_000;
    const from = fleet.sshLog(3).length;
    while (!fleet.sshLog(3).slice(from).some((s) => String(s.cmd).includes("__PULUMI_NIXOS_CONTAINERS_REBUILD_EXIT__"))) {
      if (Date.now() > deadline) throw new Error("host3 never started its rebuild");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    fleet.must("stop-host", "3");
    let r;
    try {
      r = await running;
    } finally {
      fleet.must("start-host", "3");
      fleet.must("fault", "3", "clear");
    }
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(new RegExp(`\\* host3/monitor: ${address(3)}: the connection was lost during nixos-rebuild switch`));
    expect(rebuildCount(2)).toBe(rebuildsOn2 + 1);
    expect(moduleOn(2, "cache")).toContain("port = 6384;");
    let again!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (again = stack.up()));
    expect(again.code).toBe(0);
    expect(did.rebuilds).toEqual([0, 0, 1]);
    expect(did.connections).toEqual([0, 0, 1]);
    expect(moduleOn(3, "monitor")).toContain("port = 9094;");
    expect(fleet.unitState(3, "monitor").system).toBe(stack.outputs().containers["host3/monitor"].systemPath);
  }, 300_000);
});

describe("secrets", () => {
  it("the exported state and every CLI output hold no credential in clear, and the containers' outputs stay readable", () => {
    const key = readFileSync(fleet.host(1).users.root.privateKeyPath, "utf8");
    const keyLines = key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
    const state = stack.exportState();
    expect(state).toMatch(/"secure"|"ciphertext"/);
    for (const line of keyLines) expect(state).not.toContain(line);
    const outputs = stack.must(["stack", "output", "--json", "--stack", STACK]).stdout;
    expect(JSON.parse(outputs).containers["host1/web"].status).toBe("up");
    const shown = outputs + stack.preview("--diff").all;
    for (const line of keyLines) expect(shown).not.toContain(line);
  });
});

describe("removing a whole host from the fleet", () => {
  it("removes its containers from it, with one connection and one rebuild there and none elsewhere", () => {
    const text = readFileSync(inventory, "utf8");
    writeFileSync(inventory, text.slice(0, text.indexOf("  host3:\n")));
    let r!: ReturnType<PulumiStack["up"]>;
    const did = counted(() => (r = stack.up()));
    expect(r.code).toBe(0);
    expect(did).toEqual({ rebuilds: [0, 0, 1], connections: [0, 0, 1] });
    expect(summaryOf(r.stdout, 3)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in .*, 1 container: 1 deleted$/)]);
    expect(fleet.ok(3, "ls /etc/nixos/pulumi-containers").trim()).toBe("default.nix");
    expect(fleet.ok(3, "nixos-container list | wc -l").trim()).toBe("0");
    expect(Object.keys(stack.outputs().containers).sort()).toEqual(["host1/api", "host1/web", "host2/cache", "host2/db"]);
    const fleetState = JSON.parse(stack.exportState()).deployment.resources.find((x: { type: string }) => x.type.endsWith(":NixosFleet"));
    expect(Object.keys(fleetState.outputs.hosts).sort()).toEqual(["host1", "host2"]);
  });
});

describe("pulumi destroy", () => {
  it("removes every container, every host at once, one rebuild each", () => {
    let r!: ReturnType<PulumiStack["run"]>;
    const did = counted(() => (r = stack.run(["destroy", "--yes", "--stack", STACK])));
    expect(r.code).toBe(0);
    expect(did).toEqual({ rebuilds: [1, 1, 0], connections: [1, 1, 0] });
    expect(r.stdout).toMatch(/NixosFleet fleet deleting \(\d+s\) .*: nixos-rebuild switch: activating/);
    for (const i of [1, 2]) {
      expect(summaryOf(r.stdout, i)).toEqual([expect.stringMatching(/: 1 rebuild \(switch\) in \d+\.\d s, 2 containers: 2 deleted$/)]);
    }
    expect(allDiagnostics(r.stdout)).toHaveLength(2);
    for (const i of HOSTS) {
      expect(fleet.ok(i, "ls /etc/nixos/pulumi-containers").trim().split("\n")).toEqual(["default.nix"]);
      expect(fleet.ok(i, "ls /etc/nixos-containers 2>/dev/null | wc -l").trim()).toBe("0");
      expect(fleet.ok(i, "nixos-container list | wc -l").trim()).toBe("0");
    }
  });
});
