/**
 * Secrets for the services in a container (issue 23), through the real Pulumi CLI on a simulated
 * host, for both resource kinds: files at /run/secrets with their mode and owner (also under
 * privateUsers), values nowhere but in those files (not in the store, the state, the CLI's
 * output, the host's logs and journals, any command line), rotation without a rebuild, drift
 * repaired, nothing left behind.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { useProjectOnFleet } from "../support/e2e-project";
import type { CliResult } from "../support/pulumi-cli";

const { fleet, stack } = useProjectOnFleet("secrets", 153);

/** Values no one could guess, so that finding one anywhere is a leak. */
const fresh = (what: string) => `${what}-${randomBytes(12).toString("hex")}`;
const values: string[] = [];
const setSecret = (key: string, value: string) => {
  values.push(value);
  stack().setConfig(key, value, true);
};
const configure = (spec: Record<string, unknown>) => stack().must(["config", "set", "--stack", "e2e", "files", JSON.stringify(spec)]);
const up = (...extra: string[]): CliResult => {
  const r = stack().up(...extra);
  if (r.code !== 0) throw new Error(`pulumi up failed:\n${r.all}`);
  return r;
};
const inside = (name: string, cmd: string) => fleet().ok(1, `nixos-container run ${name} -- sh -c '${cmd}'`);
const rebuilds = () => fleet().events(1).filter((e) => e.event === "rebuild").length;
const appStarts = (name: string) => fleet().ok(1, `journalctl -M ${name} -o cat`).split("\n").filter((l) => /app read \d+ bytes/.test(l)).length;

/** `nixos-containers ARGS` in the project, as a user runs it there (it reads the stack through the Pulumi CLI). */
const cli = (...args: string[]) => {
  const r = spawnSync(join(__dirname, "..", "..", "dist", "provider", "cli", "main.js"), [args[0], "--stack", "e2e", ...args.slice(1)], { cwd: stack().projectDir, env: stack().env, encoding: "utf8", timeout: 120_000 });
  return { code: r.status ?? -1, all: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

const SIG = "4dabf18193072939515e22adb298388d";
/** A resource's inputs and outputs in `pulumi stack export` (without --show-secrets). */
const exportedResource = (exported: string, name: string) => JSON.parse(exported).deployment.resources.find((r: { urn: string }) => r.urn.endsWith(`::${name}`));

const TWO = {
  "api-token": { value: "token1", owner: "app", group: "app", restartUnits: ["app.service"] },
  "db-password": { value: "password1", mode: "0440", group: "app" },
};

/** Every place on the host where a value must not be: the store, the logs, the journals. */
function expectNowhereOnHost(secretValues: string[]): void {
  const { stateDir } = fleet().host(1);
  for (const v of secretValues) {
    // grep -r exits 1 when nothing matches; the value is read from stdin, not a command line.
    const r = fleet().ssh(1, "grep -rlF -f /dev/stdin /nix/store /etc /var/log /var/lib/nixos-containers 2>/dev/null; true", { input: v });
    expect(r.stdout).toBe("");
  }
  const logs = fleet().ssh(1, `cat ${stateDir}/ssh.jsonl ${stateDir}/events.jsonl ${stateDir}/boot.log ${stateDir}/sshd.log 2>/dev/null; true`).stdout;
  for (const v of secretValues) expect(logs).not.toContain(v);
}

describe("NixosContainer", () => {
  beforeAll(() => {
    setSecret("token1", fresh("token"));
    setSecret("password1", fresh("password"));
    configure(TWO);
  });

  test("two secrets: each container reads them at /run/secrets with the declared mode and owner, also with privateUsers", () => {
    up();
    for (const name of ["secweb", "secpriv"]) {
      expect(inside(name, "stat -c \"%n %a %U %G\" /run/secrets/api-token /run/secrets/db-password")).toBe(`/run/secrets/api-token 400 app app\n/run/secrets/db-password 440 root app\n`);
      expect(inside(name, "cat /run/secrets/api-token")).toBe(values[0]);
      // The service, running as app, read its file.
      expect(fleet().ok(1, `journalctl -M ${name} -o cat`)).toMatch(new RegExp(`app read ${values[0].length} bytes`));
    }
    // On the host: root-only, outside the store.
    expect(fleet().ok(1, "stat -c '%a %U' /var/lib/pulumi-nixos-containers/secrets")).toBe("700 root\n");
  });

  test("the preview says which secret changed, never its value; a rotation runs no rebuild, the container sees the new value, its unit was restarted", () => {
    setSecret("token1", fresh("token"));
    const preview = stack().preview("--diff");
    expect(preview.code).toBe(0);
    expect(preview.all).toMatch(/api-token/);
    expect(preview.all).toMatch(/\[secret\]/);
    const [rebuildsBefore, startsBefore] = [rebuilds(), appStarts("secweb")];
    const r = up();
    expect(rebuilds()).toBe(rebuildsBefore);
    expect(r.all).toMatch(/restarted app\.service \(its secret changed\)/);
    for (const name of ["secweb", "secpriv"]) expect(inside(name, "cat /run/secrets/api-token")).toBe(values.at(-1));
    expect(appStarts("secweb")).toBe(startsBefore + 1);
    for (const v of values) expect(preview.all + r.all).not.toContain(v);
  });

  test("the values are nowhere else: not in the store, the state, the CLI's output (debug too), the host's logs and journals, any command line", async () => {
    setSecret("token1", fresh("token"));
    // Every command line on the host, sampled while the round runs.
    fleet().ok(1, "touch /root/sampling; (while [ -e /root/sampling ]; do ps -eww -o args; sleep 0.05; done > /root/ps.txt 2>&1 &)");
    process.env.PULUMI_NIXOS_CONTAINERS_LOG = "debug";
    let r: CliResult;
    try {
      r = await stack().upAsync();
    } finally {
      delete process.env.PULUMI_NIXOS_CONTAINERS_LOG;
      fleet().ok(1, "rm -f /root/sampling; sleep 0.3");
    }
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/secrets: writing 2 files for (secweb, secpriv|secpriv, secweb)/); // the debug log's kept status lines
    expect(fleet().ok(1, "wc -l < /root/ps.txt").trim()).not.toBe("0");
    for (const v of values) {
      expect(r.all).not.toContain(v);
      expect(fleet().ssh(1, "grep -cF -f /dev/stdin /root/ps.txt; true", { input: v }).stdout.trim()).toBe("0");
    }
    const exported = stack().exportState();
    for (const v of values) expect(exported).not.toContain(v);
    // Each value is a secret at its own path, in the inputs and the outputs; the rest stays readable.
    const web = exportedResource(exported, "secweb");
    for (const props of [web.inputs, web.outputs]) {
      expect(props.secrets["api-token"]).toMatchObject({ owner: "app", group: "app", restartUnits: ["app.service"], value: { [SIG]: expect.any(String), ciphertext: expect.any(String) } });
      expect(props.secrets["db-password"]).toMatchObject({ mode: "0440", value: { [SIG]: expect.any(String) } });
    }
    expectNowhereOnHost(values);
    const journals = fleet().ok(1, "journalctl -o cat; journalctl -M secweb -o cat; journalctl -M secpriv -o cat");
    for (const v of values) expect(journals).not.toContain(v);
  });

  test("a hand edit on the host is drift: refresh reports it (never the content), the next up writes the file again", () => {
    fleet().ok(1, "echo tampered > /var/lib/pulumi-nixos-containers/secrets/secweb/api-token; rm /var/lib/pulumi-nixos-containers/secrets/secpriv/db-password");
    const refresh = stack().run(["refresh", "--yes", "--stack", "e2e"]);
    expect(refresh.code).toBe(0);
    expect(refresh.all).toMatch(/secweb: secret file \/run\/secrets\/api-token changed on the host/);
    expect(refresh.all).toMatch(/secpriv: secret file \/run\/secrets\/db-password changed on the host/);
    expect(refresh.all).not.toContain("tampered");
    const startsBefore = appStarts("secweb");
    const r = up();
    expect(r.all).not.toContain("tampered");
    expect(inside("secweb", "cat /run/secrets/api-token")).toBe(values.at(-1));
    expect(inside("secpriv", "cat /run/secrets/db-password")).toBe(values[1]);
    expect(appStarts("secweb")).toBe(startsBefore + 1);
    // Nothing left to do.
    expect(stack().preview("--expect-no-changes").code).toBe(0);
  });

  test("nixos-containers status shows which secret files a container has and whether they are current, never their content", () => {
    fleet().ok(1, "echo tampered > /var/lib/pulumi-nixos-containers/secrets/secweb/db-password");
    const r = cli("status", "secweb", "secpriv");
    expect(r.code).toBe(0);
    expect(r.all).toContain("secweb: active");
    expect(r.all).toMatch(/secweb: [\s\S]*secrets:\n    \/run\/secrets\/api-token: current\n    \/run\/secrets\/db-password: changed on the host/);
    expect(r.all).toMatch(/secpriv: [\s\S]*\/run\/secrets\/api-token: current\n    \/run\/secrets\/db-password: current/);
    for (const v of [...values, "tampered"]) expect(r.all).not.toContain(v);
    // (left as it is: the next test removes the secrets and writes them again)
  });

  test("removing the last secret and adding the first change the container's mounts: one rebuild each", () => {
    const before = rebuilds();
    configure({});
    up();
    expect(rebuilds()).toBe(before + 1);
    expect(fleet().ssh(1, "ls /var/lib/pulumi-nixos-containers/secrets/secweb").code).not.toBe(0);
    expect(inside("secweb", "ls /run/secrets 2>&1; true")).toMatch(/No such file or directory/);
    configure(TWO);
    up();
    expect(rebuilds()).toBe(before + 2);
    expect(inside("secweb", "cat /run/secrets/api-token")).toBe(values.at(-1));
  });

  test("bad input is refused before any host is touched, naming the property", () => {
    const sessions = fleet().sshLog(1).length;
    for (const [bad, property] of [
      [{ "../x": { value: "token1" } }, /secrets\.\.\.\/x|secrets/],
      [{ "a/b": { value: "token1" } }, /secrets/],
      [{ x: { value: "token1", mode: "rw-r-----" } }, /secrets\.x\.mode.*octal/],
      [{ x: { value: "token1", owner: "nosuchuser" } }, /secrets\.x\.owner.*no user "nosuchuser"/],
    ] as const) {
      configure(bad);
      const r = stack().preview();
      expect(r.code).not.toBe(0);
      expect(r.all).toMatch(property);
    }
    expect(fleet().sshLog(1).length).toBe(sessions);
    configure(TWO);
  });

  test("a unit named in restartUnits that the container does not have: the rotation is refused, nothing written", () => {
    configure({ ...TWO, "api-token": { ...TWO["api-token"], restartUnits: ["app.service", "nosuch.service"] } });
    up(); // only restartUnits changed: nothing to do on the host
    const before = inside("secweb", "cat /run/secrets/api-token");
    setSecret("token1", fresh("token"));
    const r = stack().up();
    expect(r.code).not.toBe(0);
    expect(r.all).toMatch(/secweb: nothing was written: the unit nosuch\.service named in restartUnits or reloadUnits of its secrets does not exist in the container/);
    expect(inside("secweb", "cat /run/secrets/api-token")).toBe(before);
    configure(TWO);
    up();
    expect(inside("secweb", "cat /run/secrets/api-token")).toBe(values.at(-1));
  });

  test("after a reboot, autoStart containers have their secrets at boot (they live on disk, not in /run)", () => {
    const starts = ["secweb", "secpriv"].map(appStarts);
    fleet().must("stop-host", "1");
    fleet().must("start-host", "1");
    ["secweb", "secpriv"].forEach((name, i) => {
      expect(inside(name, "stat -c \"%a %U %G\" /run/secrets/api-token; cat /run/secrets/api-token")).toBe(`400 app app\n${values.at(-1)}`);
      // Its service started at boot and read the file.
      expect(appStarts(name)).toBe(starts[i] + 1);
    });
  });

  test("a secret removed from the program disappears from the host; destroy leaves no file behind", () => {
    const before = rebuilds();
    configure({ "api-token": TWO["api-token"] });
    up();
    expect(rebuilds()).toBe(before); // not the last secret: the mount stays, no rebuild
    expect(inside("secweb", "ls /run/secrets")).toBe("api-token\n");
    expect(fleet().ok(1, "ls /var/lib/pulumi-nixos-containers/secrets/secweb")).toBe("api-token\n");
    expect(stack().run(["destroy", "--yes", "--stack", "e2e"]).code).toBe(0);
    expect(fleet().ok(1, "ls -A /var/lib/pulumi-nixos-containers/secrets")).toBe(".staging\n");
    expect(fleet().ok(1, "ls -A /var/lib/pulumi-nixos-containers/journal 2>/dev/null; true")).toBe("");
  });
});

describe("NixosHost", () => {
  beforeAll(() => {
    stack().must(["config", "set", "--stack", "e2e", "shape", "host"]);
    configure(TWO);
  });

  test("the same for a host's containers: read with mode and owner, rotated without a rebuild, values secret, nothing left after destroy", () => {
    up();
    for (const name of ["secweb", "secpriv"]) {
      expect(inside(name, "stat -c \"%n %a %U %G\" /run/secrets/api-token /run/secrets/db-password")).toBe(`/run/secrets/api-token 400 app app\n/run/secrets/db-password 440 root app\n`);
    }
    setSecret("password1", fresh("password"));
    const preview = stack().preview("--diff");
    expect(preview.all).toMatch(/db-password/);
    const before = rebuilds();
    const r = up();
    expect(rebuilds()).toBe(before);
    for (const name of ["secweb", "secpriv"]) expect(inside(name, "cat /run/secrets/db-password")).toBe(values.at(-1));
    const exported = stack().exportState();
    for (const v of values) expect(exported + r.all + preview.all).not.toContain(v);
    // The host's containers are not secret as a whole: only each value is.
    const host = exportedResource(exported, "sechost");
    expect(host.outputs.containers.secweb).toMatchObject({ status: "up", secrets: { "db-password": { mode: "0440", value: { [SIG]: expect.any(String) } } } });
    expectNowhereOnHost(values);
    expect(stack().run(["destroy", "--yes", "--stack", "e2e"]).code).toBe(0);
    expect(fleet().ok(1, "ls -A /var/lib/pulumi-nixos-containers/secrets")).toBe(".staging\n");
  });
});
