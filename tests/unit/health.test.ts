/**
 * Health checks without a host: what the inputs accept and refuse (both kinds and the YAML
 * inventory), that they never reach the module, the summary line that reports them, and the
 * remote attempt script run by a real shell with a stand-in for `nixos-container run` that
 * enters nothing (tests/integration/health.test.ts runs it inside real simulated containers).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { validateHost } from "../../provider/container/host-validate";
import { renderContainerModule } from "../../provider/container/module";
import { readInventory } from "../../provider/inventory/inventory";
import { parseSource } from "../../provider/inventory/source";
import { HostSummary } from "../../provider/deploy/summary";
import type { ContainerChange } from "../../provider/deploy/change";
import { healthAttempt, parseAttempt } from "../../provider/deploy/health-script";
import { CONNECTION, spec } from "../support/specs";

const problems = (input: Record<string, unknown>) => formatProblems(validateContainer(input).errors);
const warnings = (input: Record<string, unknown>) => formatProblems(validateContainer(input).warnings);

describe("healthChecks inputs", () => {
  it("takes every kind of check and fills in the defaults", () => {
    const result = validateContainer(
      spec({
        healthChecks: {
          units: ["postgresql.service", "nginx"],
          commands: [{ argv: ["pg_isready", "-q"], timeoutSeconds: 5 }],
          tcp: [{ port: 5432 }, { port: 80, host: "::1" }],
          http: [{ port: 8080, path: "/health?full=1", expectStatus: [200, 204] }],
        },
        rollback: false,
      }),
    );
    expect(result.errors).toEqual([]);
    expect(result.spec!.healthChecks).toMatchObject({ systemRunning: true, timeoutSeconds: 60, intervalSeconds: 2 });
    expect(result.spec!.rollback).toBe(false);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ["a port out of range", { tcp: [{ port: 70000 }] }, "healthChecks.tcp[0].port", /expected a port number \(an integer from 1 to 65535\)/],
    ["an empty argv", { commands: [{ argv: [] }] }, "healthChecks.commands[0].argv", /expected the command and its arguments/],
    ["an empty program", { commands: [{ argv: ["", "x"] }] }, "healthChecks.commands[0].argv", /the first item is the program to run/],
    ["a NUL byte in an argument", { commands: [{ argv: ["echo", "a\0b"] }] }, "healthChecks.commands[0].argv[1]", /cannot contain a NUL byte/],
    ["a negative timeout", { timeoutSeconds: -5 }, "healthChecks.timeoutSeconds", /expected a timeout in whole seconds, from 1 to 3600/],
    ["a fractional interval", { intervalSeconds: 0.5 }, "healthChecks.intervalSeconds", /expected an interval in whole seconds/],
    ["a command timeout of 0", { commands: [{ argv: ["true"], timeoutSeconds: 0 }] }, "healthChecks.commands[0].timeoutSeconds", /expected a timeout in whole seconds/],
    ["a unit name with a space", { units: ["my unit"] }, "healthChecks.units[0]", /expected a systemd unit name/],
    ["a host with a port", { tcp: [{ port: 80, host: "127.0.0.1:80" }] }, "healthChecks.tcp[0].host", /expected a hostname or an IP address without a port/],
    ["a path with a space", { http: [{ port: 80, path: "/a b" }] }, "healthChecks.http[0].path", /expected a path starting with '\/'/],
    ["a path without its slash", { http: [{ port: 80, path: "health" }] }, "healthChecks.http[0].path", /expected a path starting with '\/'/],
    ["a status that is none", { http: [{ port: 80, expectStatus: [99] }] }, "healthChecks.http[0].expectStatus[0]", /expected an HTTP status code from 100 to 599/],
    ["an unknown check", { tcpp: [{ port: 80 }] }, "healthChecks.tcpp", /unknown property; did you mean "tcp"\?/],
  ])("refuses %s at its path", (_what, checks, path, message) => {
    const lines = problems(spec({ healthChecks: checks }));
    const at = lines.filter((l) => l.startsWith(`${path}: `));
    if (at.length === 0) throw new Error(`expected a problem at ${path}, got:\n${lines.join("\n")}`);
    expect(at.join("\n")).toMatch(message);
  });

  it("refuses them in a NixosHost under the container's key", () => {
    const result = validateHost({ connection: CONNECTION, containers: { web: { config: {}, healthChecks: { tcp: [{ port: 0 }] } } } });
    expect(formatProblems(result.errors).join("\n")).toMatch(/^containers\.web\.healthChecks\.tcp\[0\]\.port: expected a port number/m);
  });

  it("refuses them in a YAML inventory at their file and line", () => {
    const text = "hosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers:\n      web:\n        healthChecks:\n          commands:\n            - argv: []\n";
    const inventory = readInventory(parseSource("inventory.yaml", text), { host: "placeholder.invalid" });
    expect(inventory.errors.join("\n")).toMatch(/inventory\.yaml:8: hosts\.h\.containers\.web\.healthChecks\.commands\[0\]\.argv: expected the command and its arguments/);
  });

  it("warns about checks that cannot do what they say", () => {
    expect(warnings(spec({ rebuildAction: "boot", healthChecks: {} })).join("\n")).toMatch(/^healthChecks: healthChecks do not run with rebuildAction "boot"/m);
    expect(warnings(spec({ rollback: true })).join("\n")).toMatch(/^rollback: rollback acts on a container that fails its healthChecks, and there are none/m);
    expect(warnings(spec({ healthChecks: { timeoutSeconds: 10, commands: [{ argv: ["true"], timeoutSeconds: 30 }] } })).join("\n")).toMatch(
      /^healthChecks\.commands\[0\]\.timeoutSeconds: 30 s is longer than the whole check may take/m,
    );
    expect(warnings(spec({ healthChecks: {} }))).toEqual([]);
  });

  it("never reach the module: changing them alone changes nothing on the host", () => {
    const plain = validateContainer(spec()).spec!;
    const checked = validateContainer(spec({ healthChecks: { tcp: [{ port: 80 }] }, rollback: false })).spec!;
    expect(renderContainerModule(checked)).toBe(renderContainerModule(plain));
  });
});

describe("the summary line with health checks", () => {
  const change = (name: string, kind: ContainerChange["kind"]): ContainerChange => ({ name, kind, rebuildAction: "switch", updateStrategy: "reload", rebuildTimeoutSeconds: 60 });
  it("names each container that failed them and what happened to it", () => {
    const s = new HostSummary();
    s.add({ rebuilds: 2, rebuildMs: 8100, managedBefore: 4 }, [
      { change: change("a", "update"), ok: true, retrying: false, health: { outcome: "passed" } },
      { change: change("b", "update"), ok: true, retrying: false },
      { change: change("web", "update"), ok: false, retrying: false, health: { outcome: "rolled back", summary: "tcp 80 refused after 60 s" } },
      { change: change("new", "create"), ok: false, retrying: false, health: { outcome: "left stopped", summary: "unit api.service failed after 60 s" } },
      { change: change("db", "update"), ok: false, retrying: false, health: { outcome: "kept", summary: "command pg_isready exited 2 after 60 s" } },
    ]);
    expect(s.line("host2")).toBe(
      "host2: 2 rebuilds (switch) in 8.1 s, 5 containers: 2 updated, 1 rolled back (web: health: tcp 80 refused after 60 s), 1 left stopped (new: health: unit api.service failed after 60 s), 1 failed (db: health: command pg_isready exited 2 after 60 s); health checks: 1 passed, 3 failed",
    );
  });

  it("says nothing of checks when none ran", () => {
    const s = new HostSummary();
    s.add({ rebuilds: 1, rebuildMs: 1000, managedBefore: 1 }, [{ change: change("a", "update"), ok: true, retrying: false, health: { outcome: "not running" } }]);
    expect(s.line("h")).toBe("h: 1 rebuild (switch) in 1.0 s, 1 container: 1 updated");
  });
});

describe("the attempt script", () => {
  let bin: string;
  beforeAll(() => {
    // `nixos-container run NAME -- bash -s` without a container: run the script here (on its
    // stdin). The container "gone" fails as nixos-container does for a container that does not run.
    bin = mkdtempSync(join(tmpdir(), "health-attempt-"));
    writeFileSync(
      join(bin, "nixos-container"),
      '#!/bin/sh\n[ "$2" = gone ] && { echo "error: container \'gone\' does not exist" >&2; exit 1; }\nshift 3\nexec "$@"\n',
    );
    chmodSync(join(bin, "nixos-container"), 0o755);
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  const run = ({ script, stdin }: { script: string; stdin: Buffer }) =>
    spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

  it("runs every container's probes, passes each argument as it is, never on the host's command line, and reports per container", () => {
    const hostile = `a'b "c" $(touch ${bin}/pwned) ;x \\ \`id\` *`;
    const script = healthAttempt([
      {
        name: "web",
        seconds: 20,
        probes: [
          { index: 0, seconds: 5, argv: ["sh", "-c", 'test "$1" = "$2" && echo same', "sh", hostile, hostile] },
          { index: 1, seconds: 5, argv: ["sh", "-c", "seq 1 30; exit 3"] },
          { index: 2, seconds: 1, argv: ["sleep", "5"] },
        ],
      },
      { name: "gone", seconds: 20, probes: [{ index: 0, seconds: 5, argv: ["true"] }] },
    ]);
    // What the checks run travels on stdin, not in the script the host runs as its command line.
    expect(script.script).not.toContain("pwned");
    expect(script.script).not.toContain("seq 1 30");
    const r = run(script);
    const { results, complete } = parseAttempt(r.stdout);
    expect(complete).toBe(true);
    const web = results.get("web")!;
    expect(web.status).toBe(0);
    expect(web.verdicts.get(0)).toEqual({ status: 0, output: "same" });
    // The last 20 lines of the output, with the exit status.
    expect(web.verdicts.get(1)).toEqual({ status: 3, output: Array.from({ length: 20 }, (_, i) => String(i + 11)).join("\n") });
    expect(web.verdicts.get(2)?.status).toBe(124);
    expect(spawnSync("test", ["-e", join(bin, "pwned")]).status).not.toBe(0);
    const gone = results.get("gone")!;
    expect(gone.status).toBe(1);
    expect(gone.verdicts.size).toBe(0);
    expect(gone.other).toEqual(["error: container 'gone' does not exist"]);
  });
});
