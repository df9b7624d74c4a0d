/**
 * The container module, option by option: golden files (byte for byte),
 * each parsed by the real Nix parser, and evaluated to prove that the
 * options and the container config come out as the spec said.
 */
import { MACHINE_NIX_ENV } from "./helpers/nix-cli";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { renderContainerModule } from "../../provider/container/module";
import { CONNECTION } from "../support/specs";

const GOLDEN = join(__dirname, "golden", "container");
/** The simulated host's evaluation entry (tests/hosts/nix): NixOS's module system for `containers`. */
const HOST_EVAL = join(__dirname, "..", "hosts", "nix", "eval.nix");
const nix = (args: string[]) => execFileSync("nix-instantiate", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: MACHINE_NIX_ENV });

/** One spec per option (and the interesting combinations). */
const CASES: Record<string, Record<string, unknown>> = {
  minimal: { config: {} },
  bare: {},
  "config-structured": {
    config: {
      services: { nginx: { enable: true, virtualHosts: { "example.org": { root: "/var/www" } } } },
      environment: { systemPackages: { $nix: "with pkgs; [ vim curl ]" } },
      networking: { firewall: { allowedTCPPorts: [80, 443] } },
      users: { users: { alice: { isNormalUser: true, extraGroups: ["wheel"] } } },
      system: { stateVersion: "25.11" },
    },
  },
  "config-string": { config: "{ pkgs, ... }:\n{\n  services.openssh.enable = true;\n}\n" },
  "config-escapes": { config: { environment: { etc: { motd: { text: 'Hello "${USER}"\n\tback\\slash \'\' end' } } } } },
  path: { path: "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-25.11" },
  flake: { flake: "github:example/containers" },
  nixpkgs: { config: {}, nixpkgs: { $nix: "pkgs.path" } },
  specialArgs: { config: {}, specialArgs: { site: "example", replicas: 3, tags: ["a", "b"] } },
  additionalCapabilities: { config: {}, additionalCapabilities: ["CAP_NET_ADMIN", "CAP_MKNOD"] },
  ephemeral: { config: {}, ephemeral: true },
  enableTun: { config: {}, enableTun: true },
  copyResolvConf: { config: {}, copyResolvConf: false },
  networkNamespace: { config: {}, networkNamespace: "/run/netns/vpn" },
  "privateUsers-pick": { config: {}, privateUsers: "pick" },
  "privateUsers-uid": { config: {}, privateUsers: 65536 },
  interfaces: { config: {}, interfaces: ["eth1", "eth2"] },
  macvlans: { config: {}, macvlans: ["eth1"] },
  extraVeths: { config: {}, extraVeths: { "vx-web": { hostAddress: "10.5.0.1", localAddress: "10.5.0.2" }, "vb-web": { hostBridge: "br1" } } },
  "autoStart-reload": { config: {}, autoStart: true },
  "autoStart-restart": { config: {}, autoStart: true, updateStrategy: "restart" },
  "restartIfChanged-explicit": { config: {}, autoStart: true, restartIfChanged: true },
  timeoutStartSec: { config: {}, timeoutStartSec: "2min" },
  bindMounts: { config: {}, bindMounts: { "/var/www": { hostPath: "/srv/www", isReadOnly: false }, logs: { mountPoint: "/var/log/app" } } },
  allowedDevices: { config: {}, allowedDevices: [{ node: "/dev/net/tun", modifier: "rwm" }, { node: "char-pts", modifier: "rw" }] },
  tmpfs: { config: {}, tmpfs: ["/var", "/tmp:mode=1777"] },
  extraFlags: { config: {}, extraFlags: ["--drop-capability=CAP_SYS_CHROOT"] },
  "network-host-addresses": {
    config: {},
    privateNetwork: true,
    hostAddress: "10.231.136.1",
    localAddress: "10.231.136.2",
    hostAddress6: "fc00::1",
    localAddress6: "fc00::2/64",
    localMacAddress: "02:00:00:00:00:01",
  },
  "network-bridge": { config: {}, privateNetwork: true, hostBridge: "br0", localAddress: "10.0.0.20/24" },
  // nixpkgs' containers-ip (webserver6): IPv6 in hostAddress/localAddress, which NixOS takes as it takes IPv4.
  "network-ipv6": { config: {}, privateNetwork: true, hostAddress: "fc00::2", localAddress: "fc00::1" },
  "network-ipv6-prefix": { config: {}, privateNetwork: true, hostAddress: "fd00::1", localAddress: "fd00::2/64", localAddress6: "fd00:1::2/64" },
  "extraVeths-ipv6": { config: {}, extraVeths: { veth3: { hostAddress: "fd00:3::1/64", localAddress: "fd00:3::2/64" }, veth4: { hostAddress: "fd00:4::1", localAddress6: "fd00:4::2" } } },
  forwardPorts: { config: {}, privateNetwork: true, hostAddress: "10.1.0.1", localAddress: "10.1.0.2", forwardPorts: [{ hostPort: 8080, containerPort: 80 }, { protocol: "udp", hostPort: 53 }] },
  "name-with-dash": { name: "web-2", config: {} },
  resources: { config: {}, resources: { memoryMax: "1G", cpuQuota: "50%", tasksMax: 512 } },
  "resources-all": {
    name: "web-2",
    config: {},
    autoStart: true,
    resources: { memoryMax: "75%", memoryHigh: "1.5G", memorySwapMax: "0", cpuQuota: "250%", cpuWeight: 50, allowedCPUs: "0-3,6", tasksMax: "infinity", ioWeight: 200 },
  },
};

function render(name: string): { text: string; spec: NonNullable<ReturnType<typeof validateContainer>["spec"]> } {
  const result = validateContainer({ name: "web", connection: CONNECTION, ...CASES[name] });
  if (!result.spec) throw new Error(`case ${name} is invalid:\n${formatProblems(result.errors).join("\n")}`);
  return { text: renderContainerModule(result.spec), spec: result.spec };
}

describe.each(Object.keys(CASES))("container module: %s", (name) => {
  const file = join(GOLDEN, `${name}.nix`);

  it("matches its golden file", () => {
    const { text } = render(name);
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, "utf8"));
  });

  it("is parsed by nix-instantiate --parse", () => {
    expect(() => nix(["--parse", file])).not.toThrow();
  });

  it("evaluates to the options of the spec", () => {
    const { spec } = render(name);
    const expr = `let m = import ${file} { lib = {}; pkgs = {}; config = {}; }; c = m.containers.${JSON.stringify(spec.name)}; in builtins.removeAttrs c [ "config" "nixpkgs" ]`;
    const evaluated = JSON.parse(nix(["--eval", "--strict", "--json", "-E", expr]));
    const expected: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(spec)) {
      if (["name", "connection", "rebuildAction", "updateStrategy", "deleteData", "adopt", "rebuildTimeoutSeconds", "config", "nixpkgs", "resources"].includes(k) || v === undefined) continue;
      expected[k] = v;
    }
    if (spec.autoStart && spec.updateStrategy === "reload" && spec.restartIfChanged === undefined) expected.restartIfChanged = false;
    expect(evaluated).toEqual(expected);
  });
});

describe.each(["resources", "resources-all"])("resource limits: %s", (name) => {
  it("land on the host's container@NAME unit, directive by directive, and nowhere else", () => {
    const { spec } = render(name);
    const file = join(GOLDEN, `${name}.nix`);
    const expr = `let m = import ${file} { lib = {}; pkgs = {}; }; in { unit = m.systemd.services."container@${spec.name}".serviceConfig; others = builtins.attrNames (builtins.removeAttrs m [ "containers" "systemd" ]); services = builtins.attrNames m.systemd.services; }`;
    const evaluated = JSON.parse(nix(["--eval", "--strict", "--json", "-E", expr]));
    const r = spec.resources!;
    const expected = Object.fromEntries(
      Object.entries({
        MemoryMax: r.memoryMax, MemoryHigh: r.memoryHigh, MemorySwapMax: r.memorySwapMax, CPUQuota: r.cpuQuota,
        CPUWeight: r.cpuWeight, AllowedCPUs: r.allowedCPUs, TasksMax: r.tasksMax, IOWeight: r.ioWeight,
      }).filter(([, v]) => v !== undefined),
    );
    expect(evaluated).toEqual({ unit: expected, others: [], services: [`container@${spec.name}`] });
  });
});

it("renders no unit settings when nothing is limited", () => {
  expect(render("minimal").text).not.toContain("systemd.services");
});

it("renders a structured config as a module function that evaluates to the config", () => {
  const { text } = render("config-structured");
  const file = join(GOLDEN, "config-structured.nix");
  expect(text).toContain("config = { config, lib, pkgs, ... }:");
  const expr = `let m = import ${file} { lib = {}; pkgs = {}; }; in m.containers.web.config { config = {}; lib = {}; pkgs = { vim = "vim"; curl = "curl"; }; }`;
  const evaluated = JSON.parse(nix(["--eval", "--strict", "--json", "-E", expr]));
  expect(evaluated).toEqual({
    services: { nginx: { enable: true, virtualHosts: { "example.org": { root: "/var/www" } } } },
    environment: { systemPackages: ["vim", "curl"] },
    networking: { firewall: { allowedTCPPorts: [80, 443] } },
    users: { users: { alice: { isNormalUser: true, extraGroups: ["wheel"] } } },
    system: { stateVersion: "25.11" },
  });
});

it("keeps every special character of a config string value", () => {
  const file = join(GOLDEN, "config-escapes.nix");
  const expr = `(import ${file} { lib = {}; pkgs = {}; }).containers.web.config { config = {}; lib = {}; pkgs = {}; }`;
  expect(JSON.parse(nix(["--eval", "--strict", "--json", "-E", expr]))).toEqual(CASES["config-escapes"].config);
});

describe("a spec with no config, path or flake", () => {
  const file = join(GOLDEN, "bare.nix");
  /** Evaluates a host configuration importing MODULE with the simulated host's NixOS module system. */
  const evaluateOnHost = (module: string) => {
    const dir = mkdtempSync(join(tmpdir(), "bare-"));
    writeFileSync(join(dir, "configuration.nix"), `{ imports = [ ${module} ]; networking.hostName = "h"; system.stateVersion = "25.11"; }\n`);
    return spawnSync("nix-instantiate", ["--readonly-mode", "--eval", "--strict", "--json", HOST_EVAL, "--argstr", "configuration", join(dir, "configuration.nix")], { encoding: "utf8", env: MACHINE_NIX_ENV });
  };

  it("gets an empty NixOS module as its config: a bare container", () => {
    const expr = `(import ${file} { lib = {}; pkgs = {}; }).containers.web.config { config = {}; lib = {}; pkgs = {}; }`;
    expect(JSON.parse(nix(["--eval", "--strict", "--json", "-E", expr]))).toEqual({});
  });

  it("evaluates as a host's container, where the module without it is refused as NixOS refuses it", () => {
    const bare = evaluateOnHost(file);
    expect(bare.status).toBe(0);
    expect(JSON.parse(bare.stdout).containers.web).toMatchObject({ hasConfig: true, flake: null });
    const dir = mkdtempSync(join(tmpdir(), "bare-"));
    writeFileSync(join(dir, "web.nix"), "{ containers.web = { }; }\n");
    const empty = evaluateOnHost(join(dir, "web.nix"));
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain("error: The option `containers.web.path' was accessed but has no value defined. Try setting the option.");
  });
});

describe.each(["network-ipv6", "network-ipv6-prefix", "extraVeths-ipv6"])("the IPv6 forms of hostAddress/localAddress: %s", (name) => {
  it("evaluate as a host's container with the containers module's own option types", () => {
    const { spec } = render(name);
    const dir = mkdtempSync(join(tmpdir(), "ipv6-"));
    writeFileSync(join(dir, "configuration.nix"), `{ imports = [ ${join(GOLDEN, `${name}.nix`)} ]; networking.hostName = "h"; system.stateVersion = "25.11"; }\n`);
    const r = spawnSync("nix-instantiate", ["--readonly-mode", "--eval", "--strict", "--json", HOST_EVAL, "--argstr", "configuration", join(dir, "configuration.nix")], { encoding: "utf8", env: MACHINE_NIX_ENV });
    expect(r.stderr).not.toMatch(/error/);
    const c = JSON.parse(r.stdout).containers.web;
    for (const key of ["hostAddress", "localAddress", "hostAddress6", "localAddress6"] as const) expect(c[key]).toBe(spec[key] ?? null);
    for (const [veth, v] of Object.entries(spec.extraVeths ?? {})) expect(c.extraVeths[veth]).toMatchObject({ hostAddress: v.hostAddress ?? null, localAddress: v.localAddress ?? null, localAddress6: v.localAddress6 ?? null });
  });
});

it("uses a config string as the module, unchanged", () => {
  const { text } = render("config-string");
  expect(text).toContain(CASES["config-string"].config as string);
});

it("gives the same bytes for the same spec, whatever the key order", () => {
  const a = validateContainer({ name: "web", connection: CONNECTION, autoStart: true, config: { b: 1, a: { y: 2, x: 1 } } }).spec!;
  const b = validateContainer({ config: { a: { x: 1, y: 2 }, b: 1 }, autoStart: true, connection: CONNECTION, name: "web" }).spec!;
  expect(renderContainerModule(a)).toBe(renderContainerModule(b));
});

it("starts with the managed-file header", () => {
  expect(render("minimal").text.split("\n")[0]).toBe('# Managed by pulumi-nixos-containers. Container "web".');
});
