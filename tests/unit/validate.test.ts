import { validateContainer, formatProblems } from "../../provider/container/validate";
import { renderContainerModule } from "../../provider/container/module";
import { CONNECTION, spec } from "../support/specs";

/** The `path: message` lines for an input, or [] when it is valid. */
function problems(input: unknown, defaultName?: string): string[] {
  return formatProblems(validateContainer(input, defaultName).errors);
}

function expectRefused(input: unknown, path: string, message: RegExp): void {
  const lines = problems(input);
  const matching = lines.filter((l) => l.startsWith(`${path}: `));
  if (matching.length === 0) throw new Error(`expected a problem at ${path}, got:\n${lines.join("\n") || "(none)"}`);
  expect(matching.join("\n")).toMatch(message);
}

describe("a valid spec", () => {
  it("passes, with deployment defaults applied", () => {
    const result = validateContainer(spec());
    expect(result.errors).toEqual([]);
    expect(result.spec).toMatchObject({ name: "web", rebuildAction: "switch", updateStrategy: "reload", deleteData: false, adopt: false });
    expect(result.spec!.connection).toMatchObject({ port: 22, user: "root", insecureSkipHostKeyVerification: false });
  });

  it("takes name and connection alone: a bare NixOS container, whose module gives NixOS an (empty) config", () => {
    const result = validateContainer({ name: "web", connection: CONNECTION });
    expect(result.errors).toEqual([]);
    expect(renderContainerModule(result.spec!)).toContain("  containers.web = {\n    config = { ... }: { };\n  };\n");
  });

  it("takes the resource name when name is unset", () => {
    const { name: _unused, ...rest } = spec();
    expect(validateContainer(rest, "db").spec?.name).toBe("db");
  });

  it("accepts every option at once", () => {
    const full = spec({
      privateNetwork: true,
      hostAddress: "10.231.136.1",
      localAddress: "10.231.136.2/32",
      hostAddress6: "fc00::1",
      localAddress6: "fc00::2/64",
      localMacAddress: "02:00:00:00:00:01",
      forwardPorts: [{ hostPort: 8080, containerPort: 80 }, { protocol: "udp", hostPort: 53 }],
      bindMounts: { "/var/www": { hostPath: "/srv/www", isReadOnly: false }, data: { mountPoint: "/data" } },
      allowedDevices: [{ node: "/dev/net/tun", modifier: "rwm" }],
      tmpfs: ["/var", "/tmp:mode=1777,size=64m"],
      extraFlags: ["--drop-capability=CAP_SYS_CHROOT"],
      additionalCapabilities: ["CAP_NET_ADMIN"],
      ephemeral: false,
      enableTun: true,
      copyResolvConf: false,
      privateUsers: "pick",
      macvlans: ["eth1"],
      extraVeths: { "vx-web": { hostAddress: "10.5.0.1", localAddress: "10.5.0.2" } },
      autoStart: true,
      restartIfChanged: false,
      timeoutStartSec: "2min 30s",
      nixpkgs: { $nix: "pkgs.path" },
      specialArgs: { site: "example" },
      rebuildAction: "test",
      updateStrategy: "restart",
      deleteData: true,
      adopt: true,
      rebuildTimeoutSeconds: 600,
    });
    expect(problems(full)).toEqual([]);
  });
});

describe("names", () => {
  it.each([
    ["my_web", /underscores/],
    ["web.example", /'\.'/],
    ["-web", /start and end with a letter or digit/],
    ["web-", /start and end/],
    ["", /must not be empty/],
    ["a".repeat(64), /at most 63/],
    ["wéb", /letters, digits and '-'/],
    ["web;rm -rf /", /letters, digits and '-'/],
    ["default", /reserved/],
  ])("refuses %j", (name, message) => expectRefused(spec({ name }), "name", message));

  it("warns, without refusing, about names longer than 11 characters with privateNetwork", () => {
    const result = validateContainer(spec({ name: "webserver-01", privateNetwork: true }));
    expect(result.errors).toEqual([]);
    expect(formatProblems(result.warnings)).toEqual([expect.stringMatching(/^name: .*12 characters long.*11 characters.*5\.8/)]);
  });
});

describe("ports and protocols", () => {
  it.each([0, 65536, -1, 80.5])("refuses host port %p", (hostPort) =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostPort }] }), "forwardPorts[0].hostPort", /1 to 65535/),
  );
  it("refuses a container port out of range", () =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostPort: 80, containerPort: 70000 }] }), "forwardPorts[0].containerPort", /1 to 65535/));
  it("refuses protocols other than tcp and udp", () =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostPort: 80, protocol: "sctp" }] }), "forwardPorts[0].protocol", /"tcp" or "udp"/));
  it("refuses a port given as a string, saying how to write it", () =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostPort: "8080" }] }), "forwardPorts[0].hostPort", /string "8080"; write 8080 without quotes/));
  it("refuses the same host port forwarded twice", () =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostPort: 80 }, { hostPort: 80, containerPort: 81 }] }), "forwardPorts[1].hostPort", /already forwarded by forwardPorts\[0\]/));
});

describe("addresses", () => {
  it.each(["10.0.0", "10.0.0.256", "10.0.0.1/33", "10.0.0.01", "fc00::1/129", "fc00:::1", "fe80::1%eth0", "10.0.0.1 ", "10.0.0.1/24/2", "10.0.0.1/024", "$(reboot)", "10.0.0.1\nX=1"])(
    "refuses localAddress %j: not an address",
    (a) => expectRefused(spec({ privateNetwork: true, localAddress: a }), "localAddress", /expected an IPv4 or IPv6 address, optionally with a prefix length/),
  );
  it.each(["10.0.0.1.5", "fc00::1 fc00::2", "fc00::1;x"])("refuses hostAddress %j: not an address", (a) =>
    expectRefused(spec({ privateNetwork: true, hostAddress: a }), "hostAddress", /expected an IPv4 or IPv6 address/),
  );
  it.each([
    ["IPv4", { hostAddress: "10.231.136.1", localAddress: "10.231.136.2" }],
    ["IPv6 (nixpkgs' containers-ip)", { hostAddress: "fc00::2", localAddress: "fc00::1" }],
    ["IPv6 with a prefix on localAddress", { hostAddress: "fc00::2", localAddress: "fc00::1/64" }],
    ["an IPv4 /32", { hostAddress: "10.231.136.1", localAddress: "10.231.136.2/32" }],
    ["IPv6 in hostAddress, IPv4 in localAddress", { hostAddress: "fc00::2", localAddress: "10.231.136.2" }],
    ["IPv4 pair and IPv6 pair", { hostAddress: "10.231.136.1", localAddress: "10.231.136.2", hostAddress6: "fc00::1", localAddress6: "fc00::2/64" }],
    ["IPv6 localAddress beside a different localAddress6", { hostAddress: "10.0.0.1", localAddress: "fc00::1", localAddress6: "fd00::1" }],
    ["a prefix with hostBridge (nixpkgs' containers-bridge)", { hostBridge: "br0", localAddress: "192.168.0.100/24", localAddress6: "fc00::2/7" }],
  ])("accepts %s", (_t, addresses) => expect(problems(spec({ privateNetwork: true, ...addresses }))).toEqual([]));
  it.each([
    ["IPv4 with a prefix on an extra veth's bridge", { veth1: { hostBridge: "br1", localAddress: "192.168.1.100/24" } }],
    ["IPv4 on an extra veth (nixpkgs' containers-extra_veth)", { veth2: { hostAddress: "192.168.2.1", localAddress: "192.168.2.100" } }],
    ["IPv6 with prefixes on an extra veth", { veth3: { hostAddress: "fd00::1/64", localAddress: "fd00::2/64" } }],
  ])("accepts %s", (_t, extraVeths) => expect(problems(spec({ extraVeths }))).toEqual([]));

  // Forms NixOS evaluates, but whose `ip` command in the container's start script fails, so the
  // container never starts: one test each.
  it("refuses a prefix on hostAddress: it is the container's default gateway", () =>
    expectRefused(spec({ privateNetwork: true, hostAddress: "10.231.136.1/24", localAddress: "10.231.136.2" }), "hostAddress", /takes no prefix length: .*"ip route add default via 10\.231\.136\.1\/24".*write "10\.231\.136\.1"/));
  it("refuses a prefix on an IPv6 hostAddress", () =>
    expectRefused(spec({ privateNetwork: true, hostAddress: "fc00::2/64", localAddress: "fc00::1" }), "hostAddress", /takes no prefix length: .*write "fc00::2"/));
  it("refuses a prefix on hostAddress6", () =>
    expectRefused(spec({ privateNetwork: true, hostAddress6: "fc00::1/64" }), "hostAddress6", /takes no prefix length: .*"ip -6 route add default via fc00::1\/64"/));
  it("refuses an IPv6 hostAddress together with hostAddress6: two IPv6 default routes", () =>
    expectRefused(spec({ privateNetwork: true, hostAddress: "fc00::2", hostAddress6: "fd00::2" }), "hostAddress", /IPv6 address and hostAddress6 is set too: .*File exists/));
  it("refuses an IPv4 localAddress with a prefix without hostBridge: the host's route to it", () =>
    expectRefused(spec({ privateNetwork: true, hostAddress: "10.231.136.1", localAddress: "10.231.136.2/24" }), "localAddress", /needs hostBridge: .*"ip route add 10\.231\.136\.2\/24 dev ve-web".*Invalid prefix for given prefix length.*write "10\.231\.136\.2"/));
  it("refuses the same address in localAddress and localAddress6", () =>
    expectRefused(spec({ privateNetwork: true, localAddress: "fc00::1", localAddress6: "fc00:0:0::1/64" }), "localAddress", /same address: eth0 would get it twice/));
  it("refuses an IPv4 hostAddress with a prefix on an extra veth: the container's route to it", () =>
    expectRefused(spec({ extraVeths: { veth2: { hostAddress: "192.168.2.1/24" } } }), "extraVeths.veth2.hostAddress", /"ip route add 192\.168\.2\.1\/24 dev veth2".*write "192\.168\.2\.1"/));
  it("refuses an IPv4 localAddress with a prefix on an extra veth without a bridge", () =>
    expectRefused(spec({ extraVeths: { veth2: { hostAddress: "192.168.2.1", localAddress: "192.168.2.100/24" } } }), "extraVeths.veth2.localAddress", /needs hostBridge: .*dev veth2.*this veth on a bridge/));
  it("refuses the same address in hostAddress and hostAddress6 of an extra veth", () =>
    expectRefused(spec({ extraVeths: { veth2: { hostAddress: "fd00::1", hostAddress6: "FD00::1" } } }), "extraVeths.veth2.hostAddress", /same address: veth2 would get it twice/));
  it("refuses an extra veth address that is no address", () =>
    expectRefused(spec({ extraVeths: { veth2: { localAddress: "192.168.2.100 --bind=/" } } }), "extraVeths.veth2.localAddress", /expected an IPv4 or IPv6 address/));

  it.each(["fc00:::1", "10.0.0.1", "fc00::1/129", "fe80::1%eth0", "gggg::1"])("refuses IPv6 %j", (a) =>
    expectRefused(spec({ privateNetwork: true, hostAddress6: a }), "hostAddress6", /IPv6 address/),
  );
  it.each(["02:00:00:00:00", "02-00-00-00-00-01", "0g:00:00:00:00:01", "02:00:00:00:00:01\n"])("refuses MAC %j", (m) =>
    expectRefused(spec({ privateNetwork: true, localMacAddress: m }), "localMacAddress", /MAC address/),
  );
});

describe("privateUsers", () => {
  it.each(["yes", -1, 4294967296, 1.5])("refuses %p", (v) => expectRefused(spec({ privateUsers: v }), "privateUsers", /./));
  it.each(["no", "identity", "pick", 0, 65536])("accepts %p", (v) => expect(problems(spec({ privateUsers: v }))).toEqual([]));
});

describe("options that exclude each other", () => {
  it("refuses config together with flake", () =>
    expectRefused(spec({ flake: "github:example/containers" }), "flake", /config and flake cannot both be set/));
  it("refuses networkNamespace with privateNetwork", () =>
    expectRefused(spec({ networkNamespace: "/run/netns/vpn", privateNetwork: true }), "networkNamespace", /privateNetwork/));
  it("refuses networkNamespace with interfaces", () =>
    expectRefused(spec({ networkNamespace: "/run/netns/vpn", interfaces: ["eth1"] }), "networkNamespace", /interfaces/));
  it("refuses hostBridge together with hostAddress", () =>
    expectRefused(spec({ privateNetwork: true, hostBridge: "br0", hostAddress: "10.0.0.1" }), "hostAddress", /hostBridge/));
  it("refuses hostBridge together with hostAddress6", () =>
    expectRefused(spec({ privateNetwork: true, hostBridge: "br0", hostAddress6: "fc00::1" }), "hostAddress6", /hostBridge/));
  it("refuses hostBridge with hostAddress on an extra veth", () =>
    expectRefused(spec({ extraVeths: { vx: { hostBridge: "br0", hostAddress: "10.0.0.1" } } }), "extraVeths.vx.hostAddress", /hostBridge/));
});

describe("network options that NixOS ignores without privateNetwork", () => {
  it.each([
    ["forwardPorts", [{ hostPort: 80 }]],
    ["hostAddress", "10.0.0.1"],
    ["hostAddress6", "fc00::1"],
    ["localAddress", "10.0.0.2"],
    ["localAddress6", "fc00::2"],
    ["hostBridge", "br0"],
    ["localMacAddress", "02:00:00:00:00:01"],
  ])("refuses %s", (key, value) => expectRefused(spec({ [key]: value }), key, /only takes effect with privateNetwork: true/));
});

describe("paths", () => {
  it("refuses a relative bind mount host path", () =>
    expectRefused(spec({ bindMounts: { "/data": { hostPath: "srv/data" } } }), 'bindMounts["/data"].hostPath', /absolute path/));
  it("refuses a relative mount point", () =>
    expectRefused(spec({ bindMounts: { data: { mountPoint: "data" } } }), "bindMounts.data.mountPoint", /absolute path/));
  it("refuses a relative attribute name used as mount point", () =>
    expectRefused(spec({ bindMounts: { data: { hostPath: "/srv/data" } } }), "bindMounts.data", /attribute name is the mount point/));
  it.each(["/srv/my data", "/srv/a:b", '/srv/"x"', "/srv/$(id)", "/srv/../etc", "/srv/a\nb", "/srv/*"])("refuses bind path %j", (p) =>
    expectRefused(spec({ bindMounts: { "/data": { hostPath: p } } }), 'bindMounts["/data"].hostPath', /absolute path without spaces/),
  );
  it("refuses a relative tmpfs path", () => expectRefused(spec({ tmpfs: ["var"] }), "tmpfs[0]", /absolute path/));
  it("refuses two bind mounts on one mount point", () =>
    expectRefused(spec({ bindMounts: { "/data": {}, other: { mountPoint: "/data" } } }), "bindMounts.other.mountPoint", /already used/));
});

describe("devices", () => {
  it.each(["rx", "rww", "", "RW", "r w"])("refuses modifier %j", (modifier) =>
    expectRefused(spec({ allowedDevices: [{ node: "/dev/net/tun", modifier }] }), "allowedDevices[0].modifier", /r, w and m/),
  );
  it("refuses a node outside /dev", () =>
    expectRefused(spec({ allowedDevices: [{ node: "/etc/passwd", modifier: "r" }] }), "allowedDevices[0].node", /under \/dev/));
});

describe("values that would break the host's NAME.conf", () => {
  it.each([
    ["extraFlags", ["--bind=/a /b"]],
    ["extraFlags", ["--setenv=A=\"b\""]],
    ["extraFlags", ["--private-users=pick\n--bind=/:/host"]],
    ["extraFlags", ["$(reboot)"]],
    ["interfaces", ["eth0 eth1"]],
    ["interfaces", ["eth0\"x"]],
    ["macvlans", ["a-very-long-interface-name"]],
    ["hostBridge", "br0;reboot"],
    ["flake", "github:owner/repo#web"],
    ["flake", "github:owner/repo\nSYSTEM_PATH=/evil"],
    ["flake", "'github:x'"],
    ["timeoutStartSec", "1min\nExecStart=/bin/sh"],
    ["networkNamespace", "/run/netns/a b"],
  ])("refuses %s = %j", (key, value) => {
    const extra = key === "hostBridge" ? { privateNetwork: true } : key === "flake" ? { config: undefined } : {};
    expectRefused(spec({ [key]: value, ...extra }), key === "extraFlags" || key === "interfaces" || key === "macvlans" ? `${key}[0]` : key, /expected/);
  });
});

describe("unknown and mistyped inputs", () => {
  it("refuses an unknown property and suggests the nearest name", () =>
    expectRefused(spec({ autostart: true }), "autostart", /unknown property; did you mean "autoStart"\?/));
  it("suggests within nested objects", () =>
    expectRefused(spec({ privateNetwork: true, forwardPorts: [{ hostport: 80 }] }), "forwardPorts[0].hostport", /did you mean "hostPort"/));
  it("suggests within connection", () =>
    expectRefused(spec({ connection: { host: "h", privateKy: "x" } }), "connection.privateKy", /did you mean "privateKey"/));
  it("says how to write a boolean given as a string", () =>
    expectRefused(spec({ autoStart: "true" }), "autoStart", /string "true"; write true without quotes/));
  it("treats null as unset for options", () => expect(problems(spec({ autoStart: null, forwardPorts: null }))).toEqual([]));
  it("keeps null inside config as Nix null", () => {
    const result = validateContainer(spec({ config: { services: { foo: { bar: null } } } }));
    expect(result.spec?.config).toEqual({ services: { foo: { bar: null } } });
  });
  it("requires connection", () => expectRefused({ name: "web" }, "connection", /required/));
  it("refuses a connection without host", () => expectRefused(spec({ connection: {} }), "connection.host", /required/));
  it("refuses a host with user@ or a port", () => expectRefused(spec({ connection: { host: "root@h:22" } }), "connection.host", /hostname or an IP/));
  it("refuses a malformed hostKey", () => expectRefused(spec({ connection: { host: "h", hostKey: "AAAA" } }), "connection.hostKey", /public key line/));
  it("never echoes a string given for a connection option", () => {
    const lines = problems(spec({ connection: { host: "h", sudo: "hunter2-secret" } }));
    expect(lines.join("\n")).toMatch(/connection\.sudo/);
    expect(lines.join("\n")).not.toContain("hunter2-secret");
  });
  it("refuses an input that is not an object", () => expect(problems("web")).toEqual(["(arguments): expected an object with the NixosContainer arguments"]));
  it("reports every problem, not just the first", () => {
    const lines = problems(spec({ name: "bad_name", autoStart: "yes", tmpfs: ["rel"] }));
    expect(lines.length).toBeGreaterThanOrEqual(3);
  });
});
