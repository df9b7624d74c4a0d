/**
 * The operations commands (`nixos-containers ls`, `status`, `start`/`stop`/
 * `restart`, `run`, `root-login`, `logs`, `show-ip`) as a user runs them: the
 * command npm linked into the project directory of examples/fleet (its
 * package.json depends on the package; make build installs it), after a real
 * `pulumi up` on the simulated fleet, reading the stack through the real
 * Pulumi CLI.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "../support/pulumi-cli";
import { CONTAINER_TYPE, FLEET_TYPE } from "../../provider/cli/ops/targets";

const ROOT = join(__dirname, "..", "..");
const PROJECT = join(ROOT, "examples", "fleet");
/** The project's own `nixos-containers`, the one `npx nixos-containers` runs there. */
const binOf = (project: string) => join(project, "node_modules", ".bin", "nixos-containers");
const CLI = binOf(PROJECT);
const PTY = join(ROOT, "tests", "support", "pty-drive.py");
const STACK = "ops";

let fleet: Fleet;
let stack: PulumiStack;
let work: string;
/** HOME and TMPDIR of every CLI run: checked at the end for credentials left behind. */
let home: string;
/** Everything the CLI printed in this file, checked at the end for credentials. */
const printed: string[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  return { ...stack.env, HOME: home, TMPDIR: home };
}

function cli(...args: string[]): Run {
  const r = spawnSync(CLI, [args[0], "--stack", STACK, ...args.slice(1)], { cwd: PROJECT, env: env(), encoding: "utf8", timeout: 120_000 });
  const run = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  printed.push(run.stdout, run.stderr);
  return run;
}

/** Runs the CLI on a real PTY (tests/support/pty-drive.py) through the given steps. */
function onPty(steps: object[], ...args: string[]): Run {
  const r = spawnSync("python3", [PTY, JSON.stringify(steps), CLI, args[0], "--stack", STACK, ...args.slice(1)], {
    cwd: PROJECT,
    env: env(),
    encoding: "utf8",
    timeout: 120_000,
  });
  const run = { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  printed.push(run.stdout, run.stderr);
  return run;
}

const rows = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(/\s{2,}/));

beforeAll(() => {
  fleet = startFleet(145, 3);
  // host2's db binds /srv/db: systemd-nspawn refuses to start a container whose bind source is missing
  fleet.ok(2, "mkdir -p /srv/db");
  work = mkdtempSync(join(tmpdir(), "e2e-ops-"));
  home = mkdtempSync(join(tmpdir(), "e2e-ops-home-"));
  const inventory = join(work, "inventory.yaml");
  copyFileSync(join(PROJECT, "inventory.yaml"), inventory);
  // A second `web`, on host2, so that a bare `web` is ambiguous.
  writeFileSync(inventory, readFileSync(inventory, "utf8").replace("  host2:\n    containers:\n", "  host2:\n    containers:\n      web:\n        config: {}\n"));
  stack = new PulumiStack(PROJECT, STACK);
  rmSync(join(PROJECT, `Pulumi.${STACK}.yaml`), { force: true });
  stack.init();
  spawnSync(join(ROOT, "scripts", "fleet-stack-config.js"), [PROJECT, STACK, join(fleet.state, "manifest.json")]);
  stack.must(["config", "set", "inventory", inventory, "--stack", STACK]);
  const up = stack.up();
  if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.all}`);
});

afterAll(() => {
  stack?.dispose();
  fleet?.down();
  for (const d of [work, home]) if (d) rmSync(d, { recursive: true, force: true });
});

describe("ls", () => {
  it("lists every container of the stack with its live state, in one SSH connection and one command per host", () => {
    const before = [1, 2, 3].map((i) => fleet.sshLog(i).length);
    const r = cli("ls");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0].split(/\s+/)).toEqual(["HOST", "NAME", "STATUS", "ADDRESS", "SYSTEM", "DRIFT"]);
    // examples/fleet is one NixosFleet resource (the Fleet builds it), holding the three hosts.
    expect(JSON.parse(stack.exportState()).deployment.resources.filter((r: { type: string }) => r.type === FLEET_TYPE)).toHaveLength(1);
    const table = rows(r.stdout).map(([host, name, status, address, , drift]) => [host, name, status, address, drift]);
    expect(table).toEqual([
      ["host1", "api", "up", "10.231.2.2", "no"],
      ["host1", "web", "up", "10.231.1.2", "no"],
      ["host2", "cache", "up", "-", "no"],
      ["host2", "db", "up", "-", "no"],
      ["host2", "web", "up", "-", "no"],
      ["host3", "monitor", "up", "-", "no"],
      ["host3", "worker", "down", "-", "no"],
    ]);
    const after = [1, 2, 3].map((i) => fleet.sshLog(i).slice(before[i - 1]));
    for (const sessions of after) {
      expect(sessions).toHaveLength(1);
      expect(new Set(sessions.map((s) => s.conn)).size).toBe(1);
    }
  });

  it("`npx nixos-containers ls` in the project directory runs the project's command, as the README says", () => {
    // --no-install: were the command not linked into the project, npx would ask the registry instead.
    const r = spawnSync("npx", ["--no-install", "nixos-containers", "ls", "--stack", STACK], { cwd: PROJECT, env: env(), encoding: "utf8", timeout: 120_000 });
    printed.push(r.stdout, r.stderr);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(cli("ls").stdout);
    expect(rows(r.stdout)).toHaveLength(7);
  });

  it("--json gives the system each container runs, the one the stack deployed", () => {
    const r = cli("ls", "--json");
    expect(r.code).toBe(0);
    const listed = JSON.parse(r.stdout);
    const outputs = stack.outputs().containers;
    for (const row of listed) {
      const deployed = outputs[`${row.host}/${row.name}`];
      expect(row.status).toBe(deployed.status);
      if (row.status === "up") {
        expect(row.system).toBe(deployed.systemPath);
        expect(row.system).toBe(fleet.unitState(Number(row.host.slice(4)), row.name).system);
      }
      expect(row.drift).toEqual([]);
    }
  });
});

describe("names", () => {
  it("an ambiguous name lists its candidates; HOST/NAME picks one", () => {
    const r = cli("show-ip", "web");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"web" is on several hosts: host1/web, host2/web. Name one as HOST/NAME');
    expect(cli("show-ip", "host1/web").stdout).toBe("10.231.1.2\n");
  });

  it("an unknown name says what the stack has", () => {
    const r = cli("status", "nope", "webb");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no container "nope" in the stack; the stack has host1/api, host1/web, host2/cache, host2/db, host2/web, host3/monitor, host3/worker');
    expect(r.stderr).toContain('no container "webb"');
    expect(cli("status", "host3/web").stderr).toContain('no container "host3/web" in the stack; web is on host1/web, host2/web');
  });
});

describe("start, stop, restart", () => {
  it("stop and start several containers on several hosts through nixos-container", () => {
    const stop = cli("stop", "host1/web", "cache");
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe("host1/web: stopped (inactive)\nhost2/cache: stopped (inactive)\n");
    expect(fleet.unitState(1, "web").state).toBe("inactive");
    expect(fleet.unitState(2, "cache").state).toBe("inactive");
    expect(rows(cli("ls").stdout).find((r) => r[1] === "cache")?.[2]).toBe("down");
    const start = cli("start", "host1/web", "cache", "worker");
    expect(start.code).toBe(0);
    expect(start.stdout).toBe("host1/web: started (active)\nhost2/cache: started (active)\nhost3/worker: started (active)\n");
    const ops = fleet.events(3).filter((e) => e.event === "unit" && e.unit === "container@worker.service").map((e) => [e.op, e.by]);
    expect(ops).toContainEqual(["start", "nixos-container"]);
  });

  it("restart is a stop then a start", () => {
    const before = fleet.events(1).length;
    expect(cli("restart", "host1/web").stdout).toBe("host1/web: restarted (active)\n");
    const ops = fleet.events(1).slice(before).filter((e) => e.event === "unit").map((e) => [e.op, e.by]);
    expect(ops).toEqual([["stop", "nixos-container"], ["start", "nixos-container"]]);
  });
});

describe("status", () => {
  it("shows the unit state, since when and restarts", () => {
    const r = cli("status", "host1/web", "worker");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host1\/web: active \(running\) since \S+\n  restarts: 0\n  system: {3}\/nix\/store\/\S+-nixos-system-web-\S+\n  address: {2}10\.231\.1\.2\n/);
    expect(r.stdout).toMatch(/host3\/worker: (inactive \(dead\)|active \(running\)) since \S+\n {2}restarts: 0\n/);
  });

  it("shows the last journal lines of a failed container", () => {
    fleet.must("fault", "1", "activate-fail", "1", "container@api.service");
    fleet.ssh(1, "nixos-rebuild test >/dev/null 2>&1");
    expect(fleet.unitState(1, "api").state).toBe("failed");
    const r = cli("status", "api");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host1\/api: failed \(failed\) since \S+\n/);
    expect(r.stdout).toContain("last journal lines of container@api.service:");
    expect(r.stdout).toMatch(/container@api\.service: Failed with result 'exit-code'\./);
    expect(rows(cli("ls").stdout).find((r) => r[1] === "api")?.[2]).toBe("failed");
    expect(cli("start", "api").stdout).toBe("host1/api: started (active)\n");
  });
});

describe("run", () => {
  it("runs inside the container, streams its output and exits with its exit status", () => {
    const r = cli("run", "host1/web", "--", "sh", "-c", "hostname; echo to-stderr >&2; exit 7");
    expect(r.code).toBe(7);
    expect(r.stdout).toBe("web\n");
    expect(r.stderr).toBe("to-stderr\n");
  });

  it("passes hostile arguments through exactly once quoted", () => {
    const marker = `/tmp/ops-pwned-${process.pid}`;
    const hostile = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `"$HOME"`, "a b\tc", "*", "line1\nline2", "--", "-n", "", "\\"];
    const r = cli("run", "host1/web", "--", "printf", "[%s]\\n", ...hostile);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(hostile.map((a) => `[${a}]\n`).join(""));
    expect(fleet.ssh(1, `test -e ${marker}`).code).not.toBe(0);
    expect(cli("run", "host1/web", "--", "test", "-e", marker).code).not.toBe(0); // the container's /tmp is its own
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a stopped container with nixos-container's message", () => {
    cli("stop", "worker");
    const r = cli("run", "worker", "--", "true");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unable to get container's main PID");
  });
});

describe("root-login", () => {
  it("gives an interactive root shell inside the container, on a PTY that follows the window", () => {
    const r = onPty(
      [
        { expect: "root@web:~]#" }, // NixOS's prompt: [root@web:~]#
        { send: "hostname; id -un; stty size\r" },
        { expect: "24 80" },
        { resize: [40, 132] },
        // the window change travels beside the typed line: wait for it (20 s at most) rather than race it
        { send: "until [ \"$(stty size)\" = '40 132' ]; do sleep 0.1; done; stty size\r" },
        { expect: "[^']40 132\\r" }, // the output line, not the echo of the command (where it is quoted)
        { send: "exit 4\r" },
      ],
      "root-login",
      "host1/web",
    );
    // Line ends are \r\r\n: the remote PTY's \r\n, whose \n the local terminal (libuv's raw mode keeps ONLCR) writes as \r\n.
    expect(r.stdout).toMatch(/\bweb\r+\nroot\r+\n24 80\r+\n/);
    expect(r.stdout).toMatch(/\b40 132\r+\n/);
    expect(r.code).toBe(4);
  });

  it("says it needs a terminal when stdin is not one", () => {
    const r = cli("root-login", "host1/web");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("root-login: needs a terminal");
  });
});

describe("logs", () => {
  it("shows the container's own journal while it runs, the unit's when it is down", () => {
    const up = cli("logs", "host1/web", "-n", "2");
    expect(up.code).toBe(0);
    expect(up.stdout.trim().split("\n")).toHaveLength(2);
    expect(up.stdout).toMatch(/ web systemd\[1\]: Startup finished/);
    const down = cli("logs", "worker");
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/ host3 systemd\[1\]: Stopped Container 'worker'\.\n$/);
  });

  it("-f follows new lines until interrupted, and stops journalctl on the host", async () => {
    const child = spawn(CLI, ["logs", "host1/web", "-f", "-n", "1", "--stack", STACK], { cwd: PROJECT, env: env() });
    let out = "";
    const lineCount = () => out.split("\n").filter(Boolean).length;
    const waitFor = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
    };
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    await waitFor(() => lineCount() >= 1);
    expect(lineCount()).toBe(1);
    fleet.ok(1, "systemctl reload container@web.service");
    await waitFor(() => out.includes("finished switching to system configuration"));
    expect(out).toMatch(/switch-to-configuration\[\d+\]: activating the configuration\.\.\./);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    printed.push(out);
    await new Promise((r) => setTimeout(r, 1000));
    // ([w]eb: the pattern must not match the command line of this check itself.)
    expect(fleet.ssh(1, "pgrep -af 'journalctl -M [w]eb --no-pager -n 1 -f'").stdout).toBe("");
  });
});

describe("show-ip", () => {
  it("prints the address, or says there is none", () => {
    expect(cli("show-ip", "api").stdout).toBe("10.231.2.2\n");
    const r = cli("show-ip", "cache");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("host2/cache has no address");
  });
});

describe("drift and a host that is down", () => {
  it("ls shows a container whose module and system changed behind the stack's back", () => {
    fleet.ok(2, "sed -i 's/port = 6379;/port = 6390;/' /etc/nixos/pulumi-containers/cache.nix && nixos-rebuild switch >/dev/null 2>&1 && systemctl restart container@cache.service");
    const table = rows(cli("ls").stdout);
    expect(table.find((r) => r[1] === "cache")?.[5]).toBe("system, module");
    expect(table.find((r) => r[1] === "db")?.[5]).toBe("no");
  });

  it("a container removed from its host behind the stack's back is missing, and starting it fails with nixos-container's words", () => {
    fleet.ok(3, "systemctl stop container@worker.service; rm /etc/nixos/pulumi-containers/worker.nix && nixos-rebuild switch >/dev/null 2>&1");
    expect(rows(cli("ls").stdout).find((r) => r[1] === "worker")?.slice(2)).toEqual(["missing", "-", "-", "system, module"]);
    const r = cli("start", "worker", "host1/web");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("host1/web: started (active)\n");
    expect(r.stderr).toMatch(/^nixos-containers: host3\/worker: nixos-container start failed \(exit \d+\):\n {2}.*container ‘worker’ does not exist\n/m);
  });

  it("a host that is down is a row saying so; the rest is listed and ls exits 1", () => {
    fleet.must("stop-host", "3");
    try {
      const r = cli("ls");
      expect(r.code).toBe(1);
      const table = rows(r.stdout);
      expect(table.filter((r) => r[0] === "host3").map((r) => [r[1], r[2]])).toEqual([["monitor", "unreachable"], ["worker", "unreachable"]]);
      expect(table.filter((r) => r[2] === "up").map((r) => `${r[0]}/${r[1]}`)).toEqual(["host1/api", "host1/web", "host2/cache", "host2/db", "host2/web"]);
      expect(r.stderr).toMatch(/^nixos-containers: host3: cannot connect to root@[\d.]+:22: connection refused/m);
    } finally {
      fleet.must("start-host", "3");
    }
  });
});

describe("a stack of NixosContainer resources (examples/basic)", () => {
  it("is read the same way: ls and run in its project directory", () => {
    const dir = join(ROOT, "examples", "basic");
    const basic = new PulumiStack(dir, STACK);
    rmSync(join(dir, `Pulumi.${STACK}.yaml`), { force: true });
    try {
      basic.init();
      spawnSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, STACK, join(fleet.state, "manifest.json")]);
      expect(basic.up().code).toBe(0);
      expect(JSON.parse(basic.exportState()).deployment.resources.map((r: { type: string }) => r.type)).toContain(CONTAINER_TYPE);
      const run = (...args: string[]) => {
        const r = spawnSync(binOf(dir), [args[0], "--stack", STACK, ...args.slice(1)], { cwd: dir, env: { ...basic.env, HOME: home, TMPDIR: home }, encoding: "utf8" });
        printed.push(r.stdout, r.stderr);
        return r;
      };
      const ls = run("ls");
      expect(ls.status).toBe(0);
      expect(rows(ls.stdout).map((r) => [r[0], r[1], r[2], r[5]])).toEqual([[fleet.host(1).address, "hello", "up", "no"]]);
      const hostname = run("run", "hello", "--", "hostname");
      expect([hostname.status, hostname.stdout]).toEqual([0, "hello\n"]);
    } finally {
      basic.dispose();
    }
  });
});

describe("credentials", () => {
  it("no command printed a credential or left one on disk", () => {
    const key = readFileSync(fleet.manifest().hosts[0].users.root.privateKeyPath, "utf8");
    const secrets = [...key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")), "e2e-passphrase"];
    const leaks = (text: string) => secrets.filter((s) => text.includes(s));
    expect(printed.length).toBeGreaterThan(20);
    expect(leaks(printed.join("\n"))).toEqual([]);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        return statSync(p).isDirectory() ? files(p) : [p];
      });
    const projectFiles = [PROJECT, join(ROOT, "examples", "basic")].flatMap((d) => readdirSync(d).map((f) => join(d, f)).filter((p) => statSync(p).isFile()));
    for (const f of [...files(home), ...projectFiles]) {
      expect({ file: f, leaks: leaks(readFileSync(f, "utf8")) }).toEqual({ file: f, leaks: [] });
    }
    for (const i of [1, 2, 3]) expect(leaks(JSON.stringify(fleet.sshLog(i)))).toEqual([]);
  });
});
