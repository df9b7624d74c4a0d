/**
 * Attacks, through the real dynamic-provider plugin (gRPC) against the
 * simulated fleet:
 * - a host presenting another host key than pinned (or than known_hosts) is
 *   refused before authentication: no session, no module, no login attempt;
 * - hostile container values cannot run a command on the host or write
 *   outside /etc/nixos/pulumi-containers: every file the hosts changed is
 *   accounted for, every command they ran is one of the provider's scripts;
 * - after a full lifecycle with failures, no credential (private key, its
 *   passphrase, passwords, and wrong ones tried) appears in outputs, errors,
 *   the provider's stderr, any file on the hosts or any host log;
 * - files the provider writes have the documented owner and mode.
 *
 * host1: root with a passphrase-protected key. host2: the deploy user,
 * logging in with its password and giving it to `sudo -S`.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, existsSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Fleet } from "../hosts/helpers";
import type { DynamicProviderHarness } from "../support/dynamic-harness";
import { SshPool } from "../../provider/host/ssh";
import { HostEngine, defaultEngineOptions } from "../../provider/deploy/engine";
import { RecordingProgress } from "../support/deploy";
import type { Connection } from "../../provider/inputs/connection";
import { change, keyLines, secretHits, sessions, snapshot, useFleetAndProvider } from "./support";

let fleet: Fleet;
let provider: DynamicProviderHarness;
useFleetAndProvider(133, 2, (f, p) => {
  fleet = f;
  provider = p;
});

type Props = Record<string, unknown>;
/** host1: root, passphrase-protected key. */
const rootConn = (): Props => {
  const h = fleet.host(1);
  return { host: h.address, hostKey: h.hostKey, privateKey: readFileSync(h.users.root.passphraseKeyPath!, "utf8"), privateKeyPassphrase: h.users.root.passphrase };
};
/** host2: deploy, password login, the same password for sudo -S. */
const deployConn = (): Props => {
  const h = fleet.host(2);
  return { host: h.address, hostKey: h.hostKey, user: "deploy", password: h.users.deploy.password, sudoPassword: h.users.deploy.password };
};
const program = (name: string, connection: Props, extra: Props = {}): Props => ({
  name,
  connection,
  autoStart: true,
  config: { environment: { etc: { v: { text: `${name}:v1` } } } },
  ...extra,
});

/** Everything the provider handed back, for the secrets grep. */
const recorded: unknown[] = [];
const errors: string[] = [];
async function attempt<T>(p: Promise<T>): Promise<T | Error> {
  try {
    const v = await p;
    recorded.push(v);
    return v;
  } catch (e) {
    errors.push(String(e), JSON.stringify(e, Object.getOwnPropertyNames(e)));
    return e as Error;
  }
}
async function checked(name: string, input: Props): Promise<Props> {
  const c = await provider.check(name, {}, input);
  recorded.push(c);
  expect(c.failures).toEqual([]);
  return c.inputs;
}

const authLines = (i: number) => readFileSync(join(fleet.host(i).stateDir, "sshd.log"), "utf8").split("\n").filter((l) => /Accepted|Failed|Postponed|Invalid user|authentication/i.test(l)).length;

describe("a host presenting another host key", () => {
  it.each([
    ["pinned hostKey of another host", () => ({ ...rootConn(), hostKey: fleet.host(2).hostKey })],
    ["pinned fingerprint of another host", () => ({ ...rootConn(), hostKey: fleet.host(2).hostKeyFingerprint })],
  ])("%s: refused before authenticating; no session, no module, no login attempt", async (_t, conn) => {
    const modules = snapshot(fleet, 1).moduleText; // (itself an SSH session: taken first)
    const before = { sessions: sessions(fleet, 1), auth: authLines(1), modules };
    const inputs = await checked("mitm", program("mitm", conn()));
    const failure = await attempt(provider.create("mitm", inputs));
    // The address from the fleet: TEST_SUBNET_BASE may move it.
    const address = fleet.host(1).address.replace(/\./g, "\\.");
    expect(String(failure)).toMatch(new RegExp(`HOST KEY MISMATCH for root@${address}:22: expected SHA256:\\S+ (\\(ED25519\\) )?\\(connection\\.hostKey\\), but the host presented SHA256:\\S+ \\(ED25519\\)\\. Refused before authenticating`));
    expect(String(failure)).toContain(fleet.host(1).hostKeyFingerprint);
    expect(sessions(fleet, 1)).toBe(before.sessions);
    expect(authLines(1)).toBe(before.auth);
    expect(snapshot(fleet, 1).moduleText).toEqual(before.modules);
  });

  it("a known_hosts entry of another key: refused the same way, with the ssh-keygen -R hint", async () => {
    const { hostKey: _pinned, ...conn } = rootConn();
    const file = join(fleet.state, "known_hosts.wrong");
    writeFileSync(file, `${fleet.host(1).address} ${fleet.host(2).hostKey}\n`);
    const before = { sessions: sessions(fleet, 1), auth: authLines(1) };
    const inputs = await checked("mitm", program("mitm", { ...conn, knownHostsFile: file }));
    const failure = await attempt(provider.create("mitm", inputs));
    expect(String(failure)).toMatch(/HOST KEY MISMATCH .*known_hosts\.wrong expects .*ssh-keygen -R/s);
    expect(sessions(fleet, 1)).toBe(before.sessions);
    expect(authLines(1)).toBe(before.auth);
  });
});

/** Every file under a host's own file systems (the machine-side overlay uppers and bind mounts). */
function hostTree(i: number): Map<string, string> {
  const root = join(fleet.host(i).stateDir, "fs");
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const rel = relative(root, p);
      if (/^(etc|var|store)\.work(\/|$)|^store-rw(\/|$)/.test(rel)) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.set(rel, `dir ${st.mode.toString(8)} ${st.uid}`);
        walk(p);
      } else if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(p)}`);
      else out.set(rel, `file ${st.mode.toString(8)} ${st.uid} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(root);
  return out;
}

/** What a deployment of containers NAMES may change on a host (paths relative to the host's fs/). */
function allowed(rel: string, names: readonly string[], added: boolean): boolean {
  const n = `(${names.join("|")})`;
  return (
    (added && /^store\.upper\//.test(rel)) || // new store paths, never changed ones
    /^run\//.test(rel) ||
    /^(profiles|gcroots)\//.test(rel) ||
    rel === "etc.upper/static" ||
    new RegExp(`^etc\\.upper/nixos-containers/${n}\\.conf$`).test(rel) ||
    /^etc\.upper\/nixos\/pulumi-containers(\/|$)/.test(rel) ||
    new RegExp(`^var\\.upper/lib/nixos-containers/${n}(/|$)`).test(rel) ||
    /^var\.upper\/lib\/pulumi-nixos-containers(\/|$)/.test(rel) ||
    // The simulated journal of the containers' units (tests/hosts/lib/simjournal.py), as journald keeps one.
    rel === "var.upper/log" ||
    new RegExp(`^var\\.upper/log/sim-journal(/container@${n}\\.service\\.jsonl)?$`).test(rel)
  );
}

/** The provider's remote scripts, recognised by a line only each of them has. */
const SCRIPTS: [string, string][] = [
  ["lock and inspect", 'echo "LOCK acquired"'],
  ["write modules", "receive() { # receive DEST BYTES SHA256"],
  ["rebuild", "__PULUMI_NIXOS_CONTAINERS_REBUILD_EXIT__"],
  ["after the switch", "run_step() { # run_step NAME WHAT COMMAND"],
  ["revert", 'echo "REVERTED $name"'],
  ["release the lock", 'echo "LOCK released"'],
  ["read", 'echo "PROFILE $name $(readlink -f /nix/var/nix/profiles/per-container/$name/system'],
];
const scriptOf = (cmd: string) => SCRIPTS.filter(([, sig]) => cmd.includes(sig)).map(([what]) => what)[0] ?? `UNKNOWN: ${cmd.slice(0, 300)}`;

describe("hostile container values", () => {
  const PAYLOAD = "touch /tmp/pwned-by-value; touch /etc/nixos/pwned";
  const hostile: Props = {
    config: {
      environment: { etc: { v: { text: `"; ${PAYLOAD}; "` }, w: { text: `\${builtins.readFile "/etc/shadow"} $(${PAYLOAD}) \`${PAYLOAD}\` ''\${x} \\` } } },
      [`"; ${PAYLOAD}; x = "`]: 1,
      "${builtins.getEnv \"HOME\"}": "x",
      "''": { "\\": "''${" },
    },
    specialArgs: { [`a"; ${PAYLOAD}; "`]: `\${${PAYLOAD}}` },
    bindMounts: { [`"; ${PAYLOAD}; "`]: { mountPoint: "/data", hostPath: "/srv/data" } },
  };
  const REFUSED: Props[] = [
    { name: `x; ${PAYLOAD}` },
    { name: "../../../etc/nixos/configuration" },
    { name: "default" },
    { bindMounts: { [`/data; ${PAYLOAD}`]: {} } },
    { bindMounts: { "/data": { hostPath: `/srv/$(${PAYLOAD})` } } },
    { bindMounts: { "/data": { hostPath: "/srv/../../etc/nixos" } } },
    { extraVeths: { [`ve0; ${PAYLOAD}`]: {} } },
    { config: undefined, flake: `github:o/r;${PAYLOAD}` },
    { config: undefined, flake: "path:/srv/x$(touch /tmp/pwned-by-value)" },
    { config: undefined, path: `/nix/store/x;${PAYLOAD}` },
    { networkNamespace: `/run/netns/x;${PAYLOAD}` },
    { extraFlags: [`--bind=/:/host;${PAYLOAD}`] },
    { tmpfs: [`/tmp:mode=1777;${PAYLOAD}`] },
    { privateNetwork: true, hostBridge: `br0;${PAYLOAD}` },
  ];

  it("cannot run a command on the host or write outside the module directory, through a whole lifecycle", async () => {
    // The bind mount source of `hostile` (a container whose source is missing does not start), made on
    // the machine side of the host's /srv: no SSH session.
    mkdirSync(join(fleet.host(1).stateDir, "fs/srv/data"), { recursive: true });
    const before = hostTree(1);
    const sessionsBefore = sessions(fleet, 1);
    // Refused ones: no session at all.
    for (const overrides of REFUSED) {
      const input = { ...program("evil", rootConn()), ...overrides };
      for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete input[k];
      const c = await provider.check("evil", {}, input);
      expect(c.failures.length).toBeGreaterThan(0);
      expect(String(await attempt(provider.create("evil", { ...input, __provider: provider.providerText })))).toMatch(/invalid NixosContainer inputs/);
    }
    expect(sessions(fleet, 1)).toBe(sessionsBefore);

    // Accepted ones are data: create, update, refresh, delete.
    const v1 = await checked("evil", { ...program("evil", rootConn()), ...hostile });
    const created = await attempt(provider.create("evil", v1));
    expect(created).not.toBeInstanceOf(Error);
    const { id, properties } = created as { id: string; properties: Props };
    // Read on the machine side of the host's /etc overlay: an SSH session here would join the log below.
    expect(readFileSync(join(fleet.host(1).stateDir, "fs/etc.upper/nixos/pulumi-containers/evil.nix"), "utf8")).toBe(v1.nixConfig);
    const v2 = await checked("evil", { ...program("evil", rootConn()), ...hostile, timeoutStartSec: "2min" });
    const updated = (await attempt(provider.update("evil", id, properties, v1, v2))) as Props;
    await attempt(provider.read("evil", id, updated, v2));
    await attempt(provider.delete("evil", id, updated, v2));
    const commands = fleet.sshLog(1).slice(sessionsBefore).map((s) => s.cmd as string);

    // No canary anywhere: on the machine (/tmp is shared with the hosts) or in the host.
    expect(existsSync("/tmp/pwned-by-value")).toBe(false);
    expect(fleet.ssh(1, "ls /tmp/pwned-by-value /etc/nixos/pwned /root/pwned-by-value 2>/dev/null").stdout).toBe("");

    // Every file the host changed is one a deployment of "evil" changes.
    const after = hostTree(1);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
    expect(changed.length).toBeGreaterThan(0);
    // Directories the overlay copies up to hold an allowed file are accounted for by that file.
    const ok = (k: string) => allowed(k, ["evil"], !before.has(k)) || (!before.has(k) && after.get(k)?.startsWith("dir ") && changed.some((o) => o.startsWith(`${k}/`) && allowed(o, ["evil"], !before.has(o))));
    const unexpected = changed.filter((k) => !ok(k));
    expect(unexpected).toEqual([]);
    expect(changed.filter((k) => k.startsWith("etc.upper/nixos/") && !k.startsWith("etc.upper/nixos/pulumi-containers"))).toEqual([]);

    // Every command the host ran for the provider is one of its scripts, and none carries a value.
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.map(scriptOf).filter((w) => w.startsWith("UNKNOWN"))).toEqual([]);
    for (const cmd of commands) {
      expect(cmd).not.toContain("pwned");
      expect(cmd).not.toContain("builtins");
    }
  });
});

describe("secrets", () => {
  // Wrong credentials tried along the way must not leak either.
  const WRONG_PASSPHRASE = "wrong-passphrase-poison-3d1f";
  const WRONG_PASSWORD = "wrong-password-poison-77ab";

  it("a full lifecycle with failures on both hosts, then a grep of everything recorded: zero hits", async () => {
    const conns: [number, () => Props][] = [
      [1, rootConn],
      [2, deployConn],
    ];
    for (const [i, conn] of conns) {
      const ok = await checked("sec", program("sec", conn()));
      const created = (await attempt(provider.create("sec", ok))) as { id: string; properties: Props };
      expect(created.id).toBe(`${fleet.host(i).address}/sec`);
      const next = await checked("sec", program("sec", conn(), { config: { environment: { etc: { v: { text: "sec:v2" } } } } }));
      const updated = (await attempt(provider.update("sec", created.id, created.properties, ok, next))) as Props;
      expect(updated.status).toBe("up");
      await attempt(provider.read("sec", created.id, updated, next));

      // Failures: evaluation, activation, a cut connection, wrong credentials, a wrong host key.
      await attempt(provider.create("broken", await checked("broken", program("broken", conn(), { config: "{ ... }: { x = undefinedVariable; }" }))));
      fleet.must("fault", String(i), "activate-fail", "1", "container@flaky.service");
      await attempt(provider.create("flaky", await checked("flaky", program("flaky", conn()))));
      fleet.must("fault", String(i), "cut-next", "1", "--delay", "0");
      await attempt(provider.create("cut", await checked("cut", program("cut", conn()))));
      fleet.must("fault", String(i), "clear");
      await attempt(provider.create("wrongkey", await checked("wrongkey", program("wrongkey", { ...conn(), hostKey: fleet.host(3 - i).hostKey }))));
      if (i === 1) {
        await attempt(provider.create("wrongpass", await checked("wrongpass", program("wrongpass", { ...conn(), privateKeyPassphrase: WRONG_PASSPHRASE }))));
      } else {
        await attempt(provider.create("wrongsudo", await checked("wrongsudo", program("wrongsudo", { ...conn(), sudoPassword: WRONG_PASSWORD }))));
        await attempt(provider.create("wronglogin", await checked("wronglogin", program("wronglogin", { ...conn(), password: WRONG_PASSWORD, sudoPassword: WRONG_PASSWORD }))));
      }
      await attempt(provider.delete("sec", created.id, updated, next));
    }
    expect(errors.join("\n")).toMatch(/undefined variable 'undefinedVariable'/);
    expect(errors.join("\n")).toMatch(/container@flaky\.service failed/);
    expect(errors.join("\n")).toMatch(/connection to .* was lost/);
    expect(errors.join("\n")).toMatch(/HOST KEY MISMATCH/);
    expect(errors.join("\n")).toMatch(/privateKeyPassphrase does not decrypt/);
    expect(errors.join("\n")).toMatch(/connection\.sudoPassword is wrong/);
    expect(errors.join("\n")).toContain(`authentication refused by deploy@${fleet.host(2).address}:22`);

    const key = readFileSync(fleet.host(1).users.root.passphraseKeyPath!, "utf8");
    const secrets = [
      ...keyLines(key),
      fleet.host(1).users.root.passphrase!,
      fleet.host(2).users.deploy.password!,
      WRONG_PASSPHRASE,
      WRONG_PASSWORD,
    ];
    expect(secrets.length).toBeGreaterThan(4);

    // Outputs (minus the connection, which holds the credentials by design and is secret in
    // Pulumi's state), errors, the provider process's stderr.
    const withoutConnection = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(withoutConnection) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "connection").map(([k, x]) => [k, withoutConnection(x)])) : v;
    const providerSide = [JSON.stringify(withoutConnection(recorded)), ...errors, ...provider.stderr].join("\n");
    expect(providerSide).toContain("nixos-rebuild switch");
    // The rebuild's own output lines are among what is searched.
    expect(provider.stderr.join("\n")).toContain("| activating the configuration...");
    const hits = secretHits(fleet, [1, 2], secrets, { "outputs, errors and provider stderr": providerSide });
    expect(hits).toEqual([]);
  });

  it("files the provider writes have the documented owner and mode, also when written through sudo", async () => {
    // An interrupted rebuild leaves the journal populated: look at it before the next run restores it.
    const h = fleet.host(2);
    const pool = new SshPool();
    const progress = new RecordingProgress();
    const engine = new HostEngine(pool.acquireHost(deployConn() as unknown as Connection, { label: h.name }), { ...defaultEngineOptions({}), quietMs: 50, progress });
    fleet.must("fault", "2", "rebuild-sleep", "2");
    progress.onLine = (line) => {
      if (line.includes("nixos-rebuild switch (")) fleet.must("fault", "2", "cut-next", "1", "--delay", "0.5");
    };
    await expect(engine.apply(change(fleet, 2, "perm", "v1", "create"))).rejects.toThrow(/connection was lost during nixos-rebuild/);
    progress.onLine = undefined;
    const stat = (p: string) => fleet.ok(2, `stat -c '%a %U %G' ${p}`).trim();
    expect(stat("/var/lib/pulumi-nixos-containers")).toBe("700 root root");
    expect(stat("/var/lib/pulumi-nixos-containers/journal")).toBe("700 root root");
    expect(stat("/var/lib/pulumi-nixos-containers/journal/perm.absent")).toBe("600 root root");
    expect(stat("/var/lib/pulumi-nixos-containers/journal/perm.owner-absent")).toBe("600 root root");
    expect(stat("/run/lock/pulumi-nixos-containers.rebuild")).toMatch(/^6[04][04] root root$/);
    fleet.must("fault", "2", "clear");
    await new Promise((r) => setTimeout(r, 2500)); // the orphaned rebuild finishes
    // The lease of a run in progress: root's.
    const leaseModes: string[] = [];
    progress.onLine = (line) => {
      if (line.includes(": writing ")) leaseModes.push(stat("/run/lock/pulumi-nixos-containers"), stat("/run/lock/pulumi-nixos-containers/lease"));
    };
    await engine.apply(change(fleet, 2, "perm", "v2", "create"));
    progress.onLine = undefined;
    const owner = { organization: "organization", project: "attacks", stack: "dev", urn: "urn:pulumi:dev::attacks::pulumi-nodejs:dynamic/nixos:NixosContainer::sec" };
    await engine.apply({ ...change(fleet, 2, "sec", "v3", "create"), owner });
    await pool.closeAll();
    expect(stat("/etc/nixos/pulumi-containers/perm.nix")).toBe("600 root root");
    expect(stat("/etc/nixos/pulumi-containers/sec.nix")).toBe("600 root root");
    expect(stat("/etc/nixos/pulumi-containers/default.nix")).toBe("600 root root");
    expect(stat("/var/lib/pulumi-nixos-containers/owners")).toBe("700 root root");
    expect(stat("/var/lib/pulumi-nixos-containers/owners/sec.json")).toBe("600 root root");
    expect(JSON.parse(fleet.ok(2, "cat /var/lib/pulumi-nixos-containers/owners/sec.json"))).toEqual(owner);
    expect(fleet.ok(2, "ls -A /var/lib/pulumi-nixos-containers/journal")).toBe("");
    expect(leaseModes.join("\n")).toMatch(/^7[05][05] root root\n6[04][04] root root$/);
    // No file in the module directory is readable by anyone but root.
    expect(fleet.ok(2, "find /etc/nixos/pulumi-containers -type f -perm /077")).toBe("");
  });
});
