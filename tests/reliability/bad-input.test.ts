/**
 * Bad input, through the real dynamic-provider plugin (gRPC): every case is
 * refused by `check` with the property path and a message, and `create`
 * refuses it too without opening a single SSH session (the host's ssh.jsonl
 * does not grow). Values that are legitimately accepted (Nix-special text in
 * config values and attribute names, hostile bindMounts keys) are deployed and
 * shown to arrive byte-exact in the evaluated container configuration. Huge
 * inputs (a 10 MB config, 10,000 bind mounts) are deployed and timed.
 */
import { MACHINE_NIX_ENV } from "../nix/helpers/nix-cli";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Fleet } from "../hosts/helpers";
import type { DynamicProviderHarness } from "../support/dynamic-harness";
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { renderContainerModule } from "../../provider/container/module";
import { readInventory } from "../../provider/inventory/inventory";
import { parseSource, SourceError } from "../../provider/inventory/source";
import * as lifecycle from "../../provider/lifecycle";
import { SshPool } from "../../provider/host/ssh";
import { EngineRegistry, defaultEngineOptions } from "../../provider/deploy/engine";
import { silentProgress } from "../../provider/deploy/progress";
import type { Connection } from "../../provider/inputs/connection";
import { sessions, useFleetAndProvider } from "./support";

let fleet: Fleet;
let provider: DynamicProviderHarness;
useFleetAndProvider(132, 1, (f, p) => {
  fleet = f;
  provider = p;
});

type Props = Record<string, unknown>;
const connection = () => {
  const h = fleet.host(1);
  return { host: h.address, hostKey: h.hostKey, privateKey: readFileSync(h.users.root.privateKeyPath, "utf8") };
};
/** A valid input with `overrides`; `__connection` overrides fields of the (valid) connection. */
const base = (overrides: Props = {}): Props => {
  const { __connection, ...rest } = overrides;
  const input: Props = { name: "web", connection: { ...connection(), ...(__connection as Props | undefined) }, config: { services: { nginx: { enable: true } } }, ...rest };
  for (const [k, v] of Object.entries(rest)) if (v === undefined) delete input[k];
  return input;
};
const withConnection = (overrides: Props): Props => ({ __connection: overrides });
const PN = { privateNetwork: true };

/** [title, overrides of a valid input, property path refused, what the message says]. */
const REFUSED: [string, Props, string, RegExp][] = [
  // Names: the unit container@NAME, ve-NAME, paths and the hostname are built from them.
  ["name with a shell command separator", { name: "web;reboot" }, "name", /may only contain letters, digits and '-'/],
  ["name with a command substitution", { name: "$(touch /tmp/pwned)" }, "name", /may only contain letters, digits and '-'/],
  ["name climbing out of the module directory", { name: "../../etc/passwd" }, "name", /contains '\.'/],
  ["name with a slash", { name: "a/b" }, "name", /may only contain letters, digits and '-'/],
  ["name with a space", { name: "web server" }, "name", /may only contain letters, digits and '-'/],
  ["name with a newline", { name: "web\nEVIL=1" }, "name", /may only contain letters, digits and '-'/],
  ["name with Nix interpolation", { name: "${builtins.exec}" }, "name", /contains '\.'|may only contain letters, digits and '-'/],
  ["name that looks like an option", { name: "-rf" }, "name", /must start and end with a letter or digit/],
  ["name with an underscore (NixOS refuses it)", { name: "web_1" }, "name", /underscores/],
  ["the provider's index file as a name", { name: "default" }, "name", /reserved/],
  ["a 64-character name", { name: "a".repeat(64) }, "name", /at most 63/],
  ["an empty name", { name: "" }, "name", /must not be empty/],
  ["a name as a number", { name: 42 }, "name", /expected a string, got number 42/],
  ["null name (no default in check)", { name: null }, "name", /a container name is required/],
  // Paths.
  ["bind mount hostPath with a command", { bindMounts: { "/data": { hostPath: "/srv/data;rm -rf /" } } }, 'bindMounts["/data"].hostPath', /without spaces, quotes/],
  ["bind mount hostPath with ..", { bindMounts: { "/data": { hostPath: "/srv/../etc" } } }, 'bindMounts["/data"].hostPath', /'\.\.'/],
  ["relative bind mount hostPath", { bindMounts: { "/data": { hostPath: "srv/data" } } }, 'bindMounts["/data"].hostPath', /an absolute path/],
  ["bind mount key (the mount point) with a space", { bindMounts: { "/a b": {} } }, 'bindMounts["/a b"]', /the attribute name is the mount point/],
  ["bind mount key that would add an nspawn flag", { bindMounts: { "/x --bind=/:/host": {} } }, 'bindMounts["/x --bind=/:/host"]', /the attribute name is the mount point/],
  ["mountPoint with a colon (splits --bind=)", { bindMounts: { data: { mountPoint: "/x:/y" } } }, 'bindMounts.data.mountPoint', /':'/],
  ["networkNamespace with a space", { networkNamespace: "/run/netns/a b" }, "networkNamespace", /without spaces/],
  ["path (SYSTEM_PATH=) with a command", { config: undefined, path: "/nix/store/abc;reboot" }, "path", /without spaces, quotes/],
  ["path with a shell expansion", { config: undefined, path: "/nix/store/${x}$(id)" }, "path", /without spaces, quotes/],
  ["nixpkgs relative", { nixpkgs: "nixpkgs" }, "nixpkgs", /absolute path/],
  ["tmpfs options with a separator", { tmpfs: ["/tmp:mode=1777;x"] }, "tmpfs[0]", /mount options/],
  ["extraFlags item with two flags", { extraFlags: ["--bind=/:/host --private-network"] }, "extraFlags[0]", /one systemd-nspawn flag/],
  ["extraFlags item with a substitution", { extraFlags: ["--setenv=X=$(reboot)"] }, "extraFlags[0]", /one systemd-nspawn flag/],
  // Flake URIs (FLAKE= in NAME.conf, read back by nixos-container update).
  ["flake with an #attr fragment", { config: undefined, flake: "github:owner/repo#web" }, "flake", /without '#'/],
  ["flake with a command", { config: undefined, flake: "github:o/r;touch /tmp/pwned" }, "flake", /without '#', spaces or quotes/],
  ["flake path with a space", { config: undefined, flake: "path:/srv/my flake" }, "flake", /without '#', spaces or quotes/],
  ["flake with a quote", { config: undefined, flake: 'github:o/r"x' }, "flake", /without '#', spaces or quotes/],
  // Values that would break NAME.conf (an EnvironmentFile, word-split by the start script).
  ["hostAddress with a newline and a new variable", { ...PN, hostAddress: "10.0.0.1\nEXTRA_NSPAWN_FLAGS=--bind=/:/h" }, "hostAddress", /an IPv4 or IPv6 address/],
  ["localAddress with a trailing flag", { ...PN, localAddress: "10.0.0.2 --bind=/" }, "localAddress", /an IPv4 or IPv6 address/],
  ["localAddress6 with a zone id", { ...PN, localAddress6: "fe80::1%eth0" }, "localAddress6", /an IPv6 address/],
  ["interfaces item with a space", { interfaces: ["eth0 eth1"] }, "interfaces[0]", /network interface name/],
  ["macvlans item with a quote", { macvlans: ['eth0"'] }, "macvlans[0]", /network interface name/],
  ["extraVeths key with a space", { extraVeths: { "ve x": {} } }, 'extraVeths["ve x"]', /network interface name/],
  ["extraVeths key with a command", { extraVeths: { "$(reboot)": {} } }, 'extraVeths["$(reboot)"]', /network interface name/],
  ["extraVeths hostAddress with a separator", { extraVeths: { ve0: { hostAddress: "1.2.3.4;x" } } }, "extraVeths.ve0.hostAddress", /an IPv4 or IPv6 address/],
  ["hostBridge with a substitution", { ...PN, hostBridge: "br0$(x)" }, "hostBridge", /network interface name/],
  ["timeoutStartSec with a command", { timeoutStartSec: "1min; rm -rf /" }, "timeoutStartSec", /systemd time span/],
  ["two capabilities in one item", { additionalCapabilities: ["CAP_SYS_ADMIN,CAP_NET_ADMIN"] }, "additionalCapabilities[0]", /capability name/],
  ["device node outside /dev", { allowedDevices: [{ node: "/dev/../etc/shadow", modifier: "rwm" }] }, "allowedDevices[0].node", /device node under \/dev/],
  ["device modifier x", { allowedDevices: [{ node: "/dev/null", modifier: "rwx" }] }, "allowedDevices[0].modifier", /r, w and m/],
  ["MAC with a trailing command", { ...PN, localMacAddress: "02:00:00:00:00:01;x" }, "localMacAddress", /MAC address/],
  ["port out of range", { ...PN, forwardPorts: [{ hostPort: 99999 }] }, "forwardPorts[0].hostPort", /1 to 65535/],
  ["unknown protocol", { ...PN, forwardPorts: [{ hostPort: 80, protocol: "sctp" }] }, "forwardPorts[0].protocol", /"tcp" or "udp"/],
  // Wrong types from JavaScript callers.
  ["a boolean as a string", { autoStart: "true" }, "autoStart", /got the string "true"; write true without quotes/],
  ["a port as a string", { ...PN, forwardPorts: [{ hostPort: "8080" }] }, "forwardPorts[0].hostPort", /got the string "8080"; write 8080 without quotes/],
  ["a timeout as a string", { rebuildTimeoutSeconds: "600" }, "rebuildTimeoutSeconds", /write 600 without quotes/],
  ["a timeout below the minimum", { rebuildTimeoutSeconds: 5 }, "rebuildTimeoutSeconds", />=10/],
  ["a UID as a string", { privateUsers: "1000" }, "privateUsers", /a UID number \(a number, not a string of digits\)/],
  ['"yes" for a boolean', { ephemeral: "yes" }, "ephemeral", /expected a boolean, got the string "yes"/],
  ["an unknown enum value", { updateStrategy: "reboot" }, "updateStrategy", /"reload", "restart" or "none"/],
  ["config as a list", { config: [1, 2] }, "config", /expected an object/],
  ["an empty config string", { config: "" }, "config", /whole Nix module/],
  ["empty raw Nix", { config: { $nix: " " } }, "config", /raw Nix expression is empty/],
  ["raw Nix with another key", { config: { $nix: "{ }", extra: 1 } }, "config", /must have no other keys/],
  ["specialArgs as a string", { specialArgs: "x" }, "specialArgs", /expected an object/],
  ["a misspelt option", { autoStrat: true }, "autoStrat", /unknown property; did you mean "autoStart"\?/],
  ["config, path and flake together", { path: "/nix/store/x", flake: "github:o/r" }, "path", /cannot both be set/],
  ["a network option without privateNetwork", { hostAddress: "10.0.0.1" }, "hostAddress", /only takes effect with privateNetwork/],
  ["a nixConfig that is not the rendered module", { nixConfig: "{ containers.web.config = { }; }" }, "nixConfig", /does not match the module/],
  // The connection (values are never echoed: they may be credentials in the wrong place).
  ["no connection", { connection: undefined }, "connection", /is required/],
  ["connection.port as a string", withConnection({ port: "22" }), "connection.port", /expected a number, got a string$/],
  ["connection.privateKey as a number", withConnection({ privateKey: 123456789 }), "connection.privateKey", /expected a string, got a number$/],
  ["connection.host with user@", withConnection({ host: "root@10.0.0.5" }), "connection.host", /no port, no user@/],
  ["connection.host with a command", withConnection({ host: "10.0.0.5;reboot" }), "connection.host", /a hostname or an IP address/],
  ["connection.user with a space", withConnection({ user: "root -oProxyCommand=x" }), "connection.user", /a user name/],
  ["connection.hostKey that is no key", withConnection({ hostKey: "yes" }), "connection.hostKey", /a public key line/],
  ["a misspelt connection field", withConnection({ hots: "10.0.0.5" }), "connection.hots", /did you mean "host"\?/],
];

describe("refused before any host is touched", () => {
  it(`has at least 40 cases (${REFUSED.length})`, () => expect(REFUSED.length).toBeGreaterThanOrEqual(40));

  it.each(REFUSED)("%s", async (_title, overrides, property, reason) => {
    const before = sessions(fleet, 1);
    const input = base(overrides);
    const checked = await provider.check("web", {}, input);
    const at = checked.failures.filter((f) => f.property === property);
    if (at.length === 0) throw new Error(`no failure at ${property}: ${JSON.stringify(checked.failures)}`);
    expect(at.map((f) => f.reason).join("\n")).toMatch(reason);
    // The engine never calls create after a failed check; if something did, it refuses too.
    const created = await provider.create("web", { ...input, __provider: provider.providerText }).catch((e: Error) => e);
    expect(String(created)).toMatch(/invalid NixosContainer inputs/);
    expect(String(created)).toContain(property);
    expect(sessions(fleet, 1)).toBe(before);
  });

  it("never echoes a value found in the connection (it may be a credential in the wrong field)", async () => {
    const secretLooking = "hunter2-in-the-wrong-place";
    const checked = await provider.check("web", {}, base(withConnection({ port: secretLooking, privateKey: { nested: secretLooking } })));
    expect(checked.failures.map((f) => f.property).sort()).toEqual(["connection.port", "connection.privateKey"]);
    expect(JSON.stringify(checked.failures)).not.toContain(secretLooking);
  });
});

describe("JavaScript values that cannot cross to Nix (validateContainer, as the SDK calls it in the program)", () => {
  const cases: [string, Props, RegExp][] = [
    ["undefined in a list", { config: { xs: [1, undefined] } }, /^config: xs\[1\]: undefined cannot be represented in a Nix list/],
    ["a function", { config: { f: () => 1 } }, /^config: f: a function cannot be represented in Nix/],
    ["a Date", { config: { d: new Date(0) } }, /^config: d: an instance of Date cannot be represented/],
    ["a bigint", { config: { n: 10n } }, /^config: n: a bigint cannot be a Nix value here/],
    ["NaN", { config: { x: NaN } }, /^config: x: NaN cannot be represented in Nix/],
    ["a NUL character", { config: { s: "a\0b" } }, /NUL/],
    ["a lone surrogate", { config: { s: "\uD800" } }, /lone UTF-16 surrogate/],
    ["a cycle", (() => { const o: Props = {}; o.self = o; return { config: o }; })(), /cyclic structure/],
  ];
  it.each(cases)("%s is refused with its path", (_t, overrides, message) => {
    const lines = formatProblems(validateContainer(base(overrides)).errors);
    expect(lines.join("\n")).toMatch(message);
  });

  it("undefined members are left out and null means unset on options, Nix null inside config", () => {
    const r = validateContainer({ ...base({ autoStart: null, config: { a: undefined, b: null }, __connection: { port: null } }), timeoutStartSec: undefined });
    expect(r.errors).toEqual([]);
    expect(r.spec!.connection.port).toBe(22);
    const module = renderContainerModule(r.spec!);
    expect(module).not.toMatch(/autoStart|timeoutStartSec|\ba = /);
    expect(module).toMatch(/b = null;/);
  });
});

describe("a YAML inventory with unknown or malformed entries", () => {
  const read = (text: string) => readInventory(parseSource("inventory.yaml", text), { host: "placeholder.invalid" });
  const cases: [string, string, RegExp][] = [
    ["an unknown top-level key", "hosts: {}\nhostz: {}\n", /inventory\.yaml:2: hostz: unknown key; did you mean "hosts"\?/],
    ["an unknown host key", "hosts:\n  web-1:\n    connection: { host: 10.0.0.5 }\n    container: {}\n", /inventory\.yaml:4: hosts\["web-1"\]\.container: unknown key; did you mean "containers"\?/],
    ["an unknown container property", "hosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers:\n      web:\n        autoStrat: true\n", /inventory\.yaml:6: hosts\.h\.containers\.web\.autoStrat: unknown property; did you mean "autoStart"\?/],
    ["an unknown property in the defaults", "defaults:\n  restartIfChange: true\nhosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers: { web: {} }\n", /inventory\.yaml:2: defaults\.restartIfChange: unknown property; did you mean "restartIfChanged"\?/],
    ["YAML 1.2 yes is a string, not a boolean", "hosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers:\n      web: { autoStart: yes }\n", /inventory\.yaml:5: hosts\.h\.containers\.web\.autoStart: expected a boolean, got the string "yes"/],
    ["a quoted port", "hosts:\n  h:\n    connection: { host: 10.0.0.5, port: \"22\" }\n    containers: { web: {} }\n", /inventory\.yaml:3: hosts\.h\.connection\.port: expected a number, got a string/],
    ["a hostile container name", "hosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers:\n      \"web;reboot\": {}\n", /inventory\.yaml:5: .*web;reboot.*may only contain letters, digits and '-'/],
    ["a container that is a list", "hosts:\n  h:\n    connection: { host: 10.0.0.5 }\n    containers:\n      web: [1]\n", /inventory\.yaml:5: hosts\.h\.containers\.web: expected a mapping of NixosContainer arguments/],
    ["a host without a connection", "hosts:\n  h:\n    containers: { web: {} }\n", /inventory\.yaml:3: hosts\.h: has no connection/],
  ];
  it.each(cases)("%s", (_t, text, message) => {
    const inventory = read(text);
    expect(inventory.errors.join("\n")).toMatch(message);
  });

  it("a duplicate key and an alias bomb are refused with the line, before anything is read", () => {
    expect(() => parseSource("inventory.yaml", "hosts:\n  h: {}\n  h: {}\n")).toThrow(SourceError);
    expect(() => parseSource("inventory.yaml", "hosts:\n  h: {}\n  h: {}\n")).toThrow(/inventory\.yaml:3:\d+: Map keys must be unique/);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`), "hosts: {}"].join("\n");
    const started = Date.now();
    expect(() => parseSource("bomb.yaml", bomb)).toThrow(/alias/i);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("every string field with Nix-special text: refused with its path, or accepted and evaluated byte-exact", () => {
  const SPECIALS = ["${x}", "''", "\\", "${builtins.readFile \"/etc/shadow\"}"];
  /** [field path, a valid value, input with the value at that field]. Strings only reach Nix, never a shell. */
  const FIELDS: [string, string, (v: string) => Props][] = [
    ["name", "web", (v) => ({ name: v })],
    ["path", "/nix/store/abc-system", (v) => ({ config: undefined, path: v })],
    ["flake", "github:owner/repo", (v) => ({ config: undefined, flake: v })],
    ["nixpkgs", "/srv/nixpkgs", (v) => ({ nixpkgs: v })],
    ["additionalCapabilities[0]", "CAP_NET_ADMIN", (v) => ({ additionalCapabilities: [v] })],
    ["networkNamespace", "/run/netns/vpn", (v) => ({ networkNamespace: v })],
    ["privateUsers", "pick", (v) => ({ privateUsers: v })],
    ["interfaces[0]", "eth1", (v) => ({ interfaces: [v] })],
    ["macvlans[0]", "eth1", (v) => ({ macvlans: [v] })],
    ["extraVeths[KEY]", "ve1", (v) => ({ extraVeths: { [v]: {} } })],
    ["extraVeths.ve1.hostAddress", "10.1.0.1", (v) => ({ extraVeths: { ve1: { hostAddress: v } } })],
    ["extraVeths.ve1.localAddress6", "fc00::2", (v) => ({ extraVeths: { ve1: { localAddress6: v } } })],
    ["extraVeths.ve1.hostBridge", "br0", (v) => ({ extraVeths: { ve1: { hostBridge: v } } })],
    ["extraVeths.ve1.hostAddress6", "fc00::1", (v) => ({ extraVeths: { ve1: { hostAddress6: v } } })],
    ["extraVeths.ve1.localAddress", "10.1.0.2", (v) => ({ extraVeths: { ve1: { localAddress: v } } })],
    ["timeoutStartSec", "1min", (v) => ({ timeoutStartSec: v })],
    ["bindMounts[KEY]", "/data", (v) => ({ bindMounts: { [v]: {} } })],
    ["bindMounts[KEY] (with mountPoint)", "data", (v) => ({ bindMounts: { [v]: { mountPoint: "/data" } } })],
    ["bindMounts.data.mountPoint", "/data", (v) => ({ bindMounts: { data: { mountPoint: v } } })],
    ["bindMounts.data.hostPath", "/srv/data", (v) => ({ bindMounts: { data: { mountPoint: "/data", hostPath: v } } })],
    ["allowedDevices[0].node", "/dev/net/tun", (v) => ({ allowedDevices: [{ node: v, modifier: "rw" }] })],
    ["allowedDevices[0].modifier", "rw", (v) => ({ allowedDevices: [{ node: "/dev/net/tun", modifier: v }] })],
    ["tmpfs[0]", "/var", (v) => ({ tmpfs: [v] })],
    ["extraFlags[0]", "--drop-capability=CAP_SYS_CHROOT", (v) => ({ extraFlags: [v] })],
    ["hostBridge", "br0", (v) => ({ privateNetwork: true, hostBridge: v })],
    ["hostAddress", "10.0.0.1", (v) => ({ privateNetwork: true, hostAddress: v })],
    ["hostAddress6", "fc00::1", (v) => ({ privateNetwork: true, hostAddress6: v })],
    ["localAddress", "10.0.0.2", (v) => ({ privateNetwork: true, localAddress: v })],
    ["localAddress6", "fc00::2", (v) => ({ privateNetwork: true, localAddress6: v })],
    ["localMacAddress", "02:00:00:00:00:01", (v) => ({ privateNetwork: true, localMacAddress: v })],
    ["forwardPorts[0].protocol", "tcp", (v) => ({ privateNetwork: true, forwardPorts: [{ hostPort: 80, protocol: v }] })],
    ["rebuildAction", "switch", (v) => ({ rebuildAction: v })],
    ["updateStrategy", "reload", (v) => ({ updateStrategy: v })],
    ["connection.host", "10.0.0.5", (v) => ({ __connection: { host: v } })],
    ["connection.user", "deploy", (v) => ({ __connection: { user: v } })],
    ["connection.hostKey", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", (v) => ({ __connection: { hostKey: v } })],
    ["connection.jumpHost.host", "bastion.example.org", (v) => ({ __connection: { jumpHost: { host: v, hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU" } } })],
    ["connection.jumpHost.user", "jump", (v) => ({ __connection: { jumpHost: { host: "bastion.example.org", user: v } } })],
  ];
  /** Fields where such text is a legitimate value: what Nix makes of the written module. */
  const ACCEPTED: Record<string, string> = {
    nixpkgs: "c.nixpkgs",
    "bindMounts[KEY] (with mountPoint)": "builtins.head (builtins.attrNames c.bindMounts)",
  };
  const cases = FIELDS.flatMap(([field, valid, put]) => SPECIALS.map((special) => [field, valid + special, put] as const));

  it.each(cases)("%s = %j", (field, value, put) => {
    const result = validateContainer(base({ ...put(value) }));
    const expression = ACCEPTED[field];
    if (!expression) {
      const paths = formatProblems(result.errors).map((l) => l.slice(0, l.indexOf(": ")));
      expect(paths).toContain(field.replace("[KEY]", `[${JSON.stringify(value)}]`));
      return;
    }
    expect(result.errors).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "nix-special-"));
    try {
      writeFileSync(join(dir, "module.nix"), renderContainerModule(result.spec!));
      const r = spawnSync("nix-instantiate", ["--readonly-mode", "--eval", "--strict", "--json", "-E", `let c = (import ${dir}/module.nix { lib = { }; pkgs = { }; }).containers.web; in ${expression}`], { encoding: "utf8", env: MACHINE_NIX_ENV });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toBe(value);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("connection.knownHostsFile and agentSocket take any local path and never reach the module", () => {
    const weird = "/tmp/${x} '' \\ known";
    const result = validateContainer(base({ __connection: { knownHostsFile: weird, agentSocket: weird } }));
    expect(result.errors).toEqual([]);
    expect(renderContainerModule(result.spec!)).not.toContain("known");
  });
});

/** The evaluated configuration of a container on host 1, as the host's Nix evaluator produced it. */
function evaluatedConfig(name: string): any {
  // Read with a large buffer: the 10 MB container's evaluated config is bigger than the helpers' default.
  const r = spawnSync("ssh", [...fleet.sshArgs(1), `cat "$(sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/${name}.conf)/sim-container.json"`], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`reading the evaluated config of ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).config;
}

describe("accepted values arrive byte-exact", () => {
  const HOSTILE = [
    "${builtins.readFile /etc/shadow}",
    "''${x}'' ''' '' '",
    "back\\slash \\${x} \\n \\\\",
    '"; rm -rf /; "',
    "$(touch /tmp/pwned-value) `touch /tmp/pwned-value`",
    "line1\nline2 ${x}\n  indented ''\n",
    "crlf\r\nend",
    "tab\there unicode é ✓ 𝄞",
    "EXTRA_NSPAWN_FLAGS=--bind=/:/host",
  ];

  it("Nix-special and shell-special strings in config values and attribute names, in specialArgs, and hostile bindMounts keys", async () => {
    const etc = Object.fromEntries(HOSTILE.map((s, i) => [`v${i}`, { text: s }]));
    const attrNames = Object.fromEntries(HOSTILE.map((s, i) => [s, i]));
    const input = base({
      name: "strings",
      config: { environment: { etc }, hostileNames: attrNames },
      bindMounts: { '"; rm -rf /; "': { mountPoint: "/data", hostPath: "/srv/data" }, "${x}": { mountPoint: "/logs" } },
    });
    const checked = await provider.check("strings", {}, input);
    expect(checked.failures).toEqual([]);
    await provider.create("strings", checked.inputs);
    expect(fleet.ok(1, "cat /etc/nixos/pulumi-containers/strings.nix")).toBe(checked.inputs.nixConfig);
    const config = evaluatedConfig("strings");
    for (const [i, s] of HOSTILE.entries()) expect(config.environment.etc[`v${i}`].text).toBe(s);
    expect(config.hostileNames).toEqual(attrNames);
    // The bindMounts keys never reach the host's conf, only their mount points do.
    const conf = fleet.ok(1, "cat /etc/nixos-containers/strings.conf");
    expect(conf).toMatch(/EXTRA_NSPAWN_FLAGS=" --bind-ro=\/srv\/data:\/data --bind-ro=\/logs"\n/);
    expect(conf).not.toContain("rm -rf");
    expect(fleet.ssh(1, "ls /tmp/pwned-value").code).not.toBe(0);
  });

  it("a whole-module config string and specialArgs with Nix-special text", async () => {
    const special = HOSTILE.join("|");
    const input = base({
      name: "modstr",
      specialArgs: { hostile: special },
      config: "{ hostile, ... }: { environment.etc.s.text = hostile; }",
    });
    const checked = await provider.check("modstr", {}, input);
    expect(checked.failures).toEqual([]);
    await provider.create("modstr", checked.inputs);
    expect(evaluatedConfig("modstr").environment.etc.s.text).toBe(special);
  });
});

describe("huge inputs are accepted and deployed exactly (measured)", () => {
  const pool = new SshPool();
  const ctx = lifecycle.contextFrom(
    (c: Connection) => pool.acquireHost(c),
    () => (text) => text,
    new EngineRegistry({ ...defaultEngineOptions({}), quietMs: 50, progress: silentProgress }),
  );
  const container = lifecycle.resourceOps(lifecycle.KINDS.NixosContainer, ctx, silentProgress);
  afterAll(() => pool.closeAll());

  /** check + create as the provider runs them (in process: the harness's gRPC client caps messages at 4 MB). */
  async function deployTimed(input: Props) {
    const t0 = Date.now();
    const checked = container.check({}, input);
    expect(checked.failures).toEqual([]);
    const t1 = Date.now();
    const created = await container.create(checked.inputs);
    const t2 = Date.now();
    return { checked, created, checkMs: t1 - t0, createMs: t2 - t1 };
  }

  it("a 10 MB config (10,000 files of 1 KB with Nix-special text)", async () => {
    const etc: Record<string, { text: string }> = {};
    for (let i = 0; i < 10_000; i++) etc[`f${i}`] = { text: `${i} \${x} '' \\ "q" $(id)\n`.padEnd(1000, "x") + "\n" };
    const { checked, created, checkMs, createMs } = await deployTimed(base({ name: "big", autoStart: true, config: { environment: { etc } } }));
    const module = checked.inputs.nixConfig as string;
    expect(Buffer.byteLength(module)).toBeGreaterThan(10_000_000);
    expect(created.outs.status).toBe("up");
    const onHost = fleet.ok(1, "sha256sum < /etc/nixos/pulumi-containers/big.nix").slice(0, 64);
    expect(onHost).toBe(createHash("sha256").update(module).digest("hex"));
    expect(evaluatedConfig("big").environment.etc).toEqual(etc);
    console.log(`10 MB config: module ${Buffer.byteLength(module)} bytes; check ${checkMs} ms, create (render, write, rebuild, verify) ${createMs} ms`);
    expect(checkMs + createMs).toBeLessThan(60_000);
  }, 120_000);

  it("10,000 bind mounts", async () => {
    const bindMounts: Record<string, { hostPath: string; isReadOnly: boolean }> = {};
    for (let i = 0; i < 10_000; i++) bindMounts[`/mnt/m${i}`] = { hostPath: `/srv/data/m${i}`, isReadOnly: i % 2 === 0 };
    // the sources: a container whose bind mount source is missing does not start (systemd-nspawn)
    fleet.ok(1, "mkdir -p /srv/data && cd /srv/data && seq 0 9999 | sed s/^/m/ | xargs mkdir -p");
    const { created, checkMs, createMs } = await deployTimed(base({ name: "mounts", autoStart: true, bindMounts, config: {} }));
    expect(created.outs.status).toBe("up");
    const flags = /^EXTRA_NSPAWN_FLAGS="(.*)"$/m.exec(fleet.ok(1, "cat /etc/nixos-containers/mounts.conf"))![1];
    const bound = flags.trim().split(" ");
    expect(bound).toHaveLength(10_000);
    expect(new Set(bound)).toEqual(new Set(Object.entries(bindMounts).map(([mp, m]) => `--bind${m.isReadOnly ? "-ro" : ""}=${m.hostPath}:${mp}`)));
    console.log(`10,000 bind mounts: conf line ${flags.length} bytes; check ${checkMs} ms, create ${createMs} ms`);
    expect(checkMs + createMs).toBeLessThan(60_000);
  }, 120_000);
});
