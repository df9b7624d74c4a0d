/**
 * The declarative containers of nixpkgs' own container tests (nixos/tests/containers-*.nix, 17
 * files, 27 containers), each written as a spec the way a user moving it into this provider
 * would: validated, rendered, and deployed on the simulated fleet through the engine over SSH.
 * The object form expresses all but one; containers-custom-pkgs builds the container's `pkgs`
 * from the host's `pkgs` with an overlay, which only a config string can (the object form's raw
 * Nix sees the container's own `pkgs`). Where nixpkgs tests a container by changing it
 * (containers-reloadable), the spec is updated the same way.
 */
import { Fleet, startFleet } from "../hosts/helpers";
import { newEngine, specFor, changeFor } from "../support/deploy";
import { validateContainer, formatProblems } from "../../provider/container/validate";
import { CONNECTION } from "../support/specs";
import type { ChangeOutcome } from "../../provider/deploy/change";

const httpd = { services: { httpd: { enable: true, adminAddr: "foo@example.org" } }, networking: { firewall: { allowedTCPPorts: [80] } } };
const webserver = (hostAddress: string, localAddress: string) => ({ privateNetwork: true, hostAddress, localAddress, config: httpd });
const namesContainer = (subnet: number) => ({ autoStart: true, privateNetwork: true, hostAddress: `192.168.${subnet}.1`, localAddress: `192.168.${subnet}.2`, config: {} });
const macvlanContainer = (address: string) => ({ autoStart: true, macvlans: ["eth1"], config: { networking: { interfaces: { "mv-eth1": { ipv4: { addresses: [{ address, prefixLength: 24 }] } } } } } });
const physical = (config: Record<string, unknown>) => ({ privateNetwork: true, interfaces: ["eth1"], config: { ...config, networking: { ...(config.networking as object), firewall: { enable: false } } } });
const addresses = (address: string) => ({ ipv4: { addresses: [{ address, prefixLength: 24 }] } });

/** containers-custom-pkgs: `pkgs` outside the module function is the host's (the module file's argument). */
const CUSTOM_PKGS = `let
  customPkgs = pkgs.appendOverlays [
    (self: super: {
      hello = super.hello.overrideAttrs (old: { name = "custom-hello"; });
    })
  ];
in
{ pkgs, config, ... }:
{
  nixpkgs.pkgs = customPkgs;
  system.extraDependencies = [ pkgs.hello ];
}
`;

interface Case {
  /** The nixpkgs test file (nixos/tests/containers-<test>.nix). */
  test: string;
  args: Record<string, unknown> & { name: string };
}

/** One host: every container whose name no other test uses. */
const HOST1: Case[] = [
  { test: "bridge", args: { name: "web-noip", autoStart: true, privateNetwork: true, hostBridge: "br0", config: httpd } },
  { test: "custom-pkgs", args: { name: "test", autoStart: true, config: CUSTOM_PKGS } },
  { test: "hosts", args: { name: "simple", autoStart: true, privateNetwork: true, localAddress: "10.10.0.1", hostAddress: "10.10.0.254", config: {} } },
  { test: "hosts", args: { name: "netmask", autoStart: true, privateNetwork: true, hostBridge: "br0", localAddress: "10.11.0.1/24", config: {} } },
  // The container the test evaluates with eval-config.nix for its closure (the test itself is about imperative ones).
  { test: "imperative", args: { name: "foo", config: {} } },
  { test: "ip", args: { name: "webserver4", ...webserver("10.231.136.1", "10.231.136.2") } },
  { test: "ip", args: { name: "webserver6", ...webserver("fc00::2", "fc00::1") } },
  { test: "macvlans", args: { name: "test1", ...macvlanContainer("192.168.1.253") } },
  { test: "macvlans", args: { name: "test2", ...macvlanContainer("192.168.1.254") } },
  { test: "names", args: { name: "first", ...namesContainer(1) } },
  { test: "names", args: { name: "second", ...namesContainer(2) } },
  { test: "names", args: { name: "really-long-name", ...namesContainer(3) } },
  { test: "names", args: { name: "really-long-long-name-2", ...namesContainer(4) } },
  // A container in a container: the inner one is part of the outer one's NixOS configuration.
  { test: "nested", args: { name: "nested", autoStart: true, privateNetwork: true, config: { containers: { nested: { autoStart: true, privateNetwork: true, config: {} } } } } },
  { test: "physical_interfaces", args: { name: "server", ...physical({ networking: { interfaces: { eth1: addresses("10.10.0.1") } } }) } },
  { test: "physical_interfaces", args: { name: "bridged", ...physical({ networking: { bridges: { br0: { interfaces: ["eth1"] } }, interfaces: { br0: addresses("10.10.0.2") } } }) } },
  {
    test: "physical_interfaces",
    args: { name: "bonded", ...physical({ networking: { bonds: { bond0: { interfaces: ["eth1"], driverOptions: { mode: "active-backup" } } }, interfaces: { bond0: addresses("10.10.0.3") } } }) },
  },
  {
    test: "physical_interfaces",
    args: {
      name: "bridgedbond",
      ...physical({
        networking: { bonds: { bond0: { interfaces: ["eth1"], driverOptions: { mode: "active-backup" } } }, bridges: { br0: { interfaces: ["bond0"] } }, interfaces: { br0: addresses("10.10.0.4") } },
      }),
    },
  },
  { test: "require-bind-mounts", args: { name: "require-bind-mounts", bindMounts: { "/srv/data": {} }, config: {} } },
  { test: "tmpfs", args: { name: "tmpfs", autoStart: true, tmpfs: ["/var", "/var/log", "/some/random/path"], config: {} } },
  { test: "unified-hierarchy", args: { name: "test-container", autoStart: true, config: {} } },
];

/** Five tests call their container "webserver": on a host of their own, one after the other (updates). */
const WEBSERVERS: Case[] = [
  {
    test: "ephemeral",
    args: {
      name: "webserver",
      ephemeral: true,
      privateNetwork: true,
      hostAddress: "10.231.136.1",
      localAddress: "10.231.136.2",
      config: {
        services: {
          nginx: {
            enable: true,
            // The test's `pkgs` is the host's; the container's own is the same nixpkgs.
            virtualHosts: { localhost: { root: { $nix: `pkgs.runCommand "localhost" { } ''\n  mkdir "$out"\n  echo hello world > "$out/index.html"\n''` } } },
          },
        },
        networking: { firewall: { allowedTCPPorts: [80] } },
      },
    },
  },
  {
    test: "extra_veth",
    args: {
      name: "webserver",
      autoStart: true,
      privateNetwork: true,
      hostBridge: "br0",
      localAddress: "192.168.0.100/24",
      localAddress6: "fc00::2/7",
      extraVeths: { veth1: { hostBridge: "br1", localAddress: "192.168.1.100/24" }, veth2: { hostAddress: "192.168.2.1", localAddress: "192.168.2.100" } },
      config: { networking: { firewall: { allowedTCPPorts: [80] } } },
    },
  },
  {
    test: "portforward",
    args: { name: "webserver", ...webserver("192.168.0.1", "192.168.0.100"), forwardPorts: [{ protocol: "tcp", hostPort: 10080, containerPort: 80 }] },
  },
  {
    test: "restart_networking",
    args: {
      name: "webserver",
      autoStart: true,
      privateNetwork: true,
      hostBridge: "br0",
      config: { networking: { firewall: { enable: false }, interfaces: { eth0: addresses("192.168.1.122") } } },
    },
  },
  { test: "bridge", args: { name: "webserver", autoStart: true, privateNetwork: true, hostBridge: "br0", localAddress: "192.168.0.100/24", localAddress6: "fc00::2/7", config: httpd } },
];

/** containers-reloadable: the base, then two changed configs, each switched to in place. */
const RELOADABLE: Case[] = ["client_base", "client_c1", "client_c2"].map((check, i) => ({
  test: "reloadable",
  args: {
    name: "test1",
    autoStart: true,
    config: { environment: { etc: { check: { text: check } } }, ...[{}, { services: { httpd: { enable: true, adminAddr: "nixos@example.com" } } }, { services: { nginx: { enable: true } } }][i] },
  },
}));

const ALL = [...HOST1, ...WEBSERVERS, ...RELOADABLE];

it("covers the 27 declarative containers of the 17 test files", () => {
  expect(new Set(ALL.map((c) => c.test)).size).toBe(17);
  expect(new Set(ALL.map((c) => `${c.test}/${c.args.name}`)).size).toBe(27);
});

it.each(ALL.map((c) => [`${c.test}: ${c.args.name}`, c] as const))("%s validates", (_t, c) => {
  const result = validateContainer({ connection: CONNECTION, ...c.args });
  expect(formatProblems(result.errors)).toEqual([]);
});

describe("deployed on the simulated fleet", () => {
  let fleet: Fleet;
  beforeAll(() => {
    fleet = startFleet(126, 2);
  });
  afterAll(() => fleet?.down());

  /** The system a container's conf names, as the simulated build wrote it (its evaluated config). */
  const declaredSystem = (i: number, name: string) =>
    JSON.parse(fleet.ok(i, `cat "$(sed -n 's/^SYSTEM_PATH=//p' /etc/nixos-containers/${name}.conf)/sim-container.json"`)).config;
  /** The system a running container runs (its /run/current-system). */
  const runningSystem = (i: number, name: string) => JSON.parse(fleet.ok(i, `cat "${fleet.unitState(i, name).system}/sim-container.json"`)).config;

  /** `wasUp`: the container ran before this change (a switch never stops a container it keeps). */
  const expectApplied = (c: Case, outcome: ChangeOutcome, wasUp = false) => {
    if (outcome.error) throw new Error(`${c.test}/${c.args.name}: ${outcome.error.message}`);
    expect(outcome.result!.state.conf).not.toBeNull();
    // autoStart containers are started by the switch; the others are declared and stay as they were.
    expect([outcome.name, outcome.result!.state.status]).toEqual([c.args.name, c.args.autoStart || wasUp ? "up" : "down"]);
  };

  test("every container of a host in one round: all applied, the autoStart ones running", async () => {
    const { engine, pool } = newEngine(fleet, 1);
    const outcomes = await engine.applyBatch(HOST1.map((c) => changeFor(specFor(fleet, 1, c.args))));
    await pool.closeAll();
    HOST1.forEach((c, i) => expectApplied(c, outcomes[i]));
    expect(fleet.events(1).filter((e) => e.event === "rebuild").map((e) => e.result)).toEqual(["ok"]);

    // containers-ip: the IPv6 pair reaches the conf as written; nixos-container show-ip reads only
    // an IPv4 LOCAL_ADDRESS (the nixpkgs test says so), the ipAddress output shows either.
    const v6 = outcomes[HOST1.findIndex((c) => c.args.name === "webserver6")].result!.state;
    expect(v6.conf).toContain("HOST_ADDRESS=fc00::2\n");
    expect(v6.conf).toContain("LOCAL_ADDRESS=fc00::1\n");
    expect(v6.ipAddress).toBe("fc00::1");
    expect(fleet.ssh(1, "nixos-container show-ip webserver6").stderr).toContain("cannot get IP address");
    expect(fleet.ok(1, "nixos-container show-ip webserver4").trim()).toBe("10.231.136.2");

    // containers-custom-pkgs: the container's pkgs is the host's with the overlay (its own assertion).
    const deps: string[] = declaredSystem(1, "test").system.extraDependencies;
    expect(deps).toHaveLength(1);
    expect(deps[0]).toMatch(/^\/nix\/store\/[a-z0-9]{32}-custom-hello$/);

    // containers-nested: the inner container is part of the outer one's configuration.
    expect(declaredSystem(1, "nested").containers.nested).toMatchObject({ autoStart: true, privateNetwork: true });

    // containers-hosts and -bridge: the prefix of a bridged container reaches its conf.
    expect(outcomes[HOST1.findIndex((c) => c.args.name === "netmask")].result!.state.conf).toContain("LOCAL_ADDRESS=10.11.0.1/24\n");
  });

  test("the webserver of five tests, one after the other on one host", async () => {
    let wasUp = false;
    for (const c of WEBSERVERS) {
      const { engine, pool } = newEngine(fleet, 2);
      const outcome = (await engine.applyBatch([changeFor(specFor(fleet, 2, c.args), c === WEBSERVERS[0] ? "create" : "update")]))[0];
      await pool.closeAll();
      expectApplied(c, outcome, wasUp);
      wasUp = outcome.result!.state.status === "up";
      const conf = outcome.result!.state.conf!;
      if (c.test === "ephemeral") {
        // nixos-container start, as the test does: the root is under /run and goes away at stop.
        fleet.ok(2, "nixos-container start webserver");
        expect(fleet.unitState(2, "webserver").root).toBe("/run/nixos-containers/webserver");
        fleet.ok(2, "test -d /run/nixos-containers/webserver && ! test -e /var/lib/nixos-containers/webserver");
        fleet.ok(2, "nixos-container stop webserver");
        fleet.ok(2, "! test -e /run/nixos-containers/webserver");
      }
      if (c.test === "portforward") expect(conf).toContain("HOST_PORT=tcp:10080:80\n");
      if (c.test === "extra_veth") expect(fleet.ok(2, "systemctl cat container@webserver.service")).toMatch(/ExecStartPre=/);
      if (c.test === "bridge") expect(conf).toMatch(/HOST_BRIDGE=br0\n[\s\S]*LOCAL_ADDRESS=192\.168\.0\.100\/24\n[\s\S]*LOCAL_ADDRESS6=fc00::2\/7\n/);
    }
  });

  test("containers-reloadable: each changed config is switched to in the running container, without a restart", async () => {
    for (const [i, c] of RELOADABLE.entries()) {
      const { engine, pool } = newEngine(fleet, 2);
      const outcome = (await engine.applyBatch([changeFor(specFor(fleet, 2, c.args), i === 0 ? "create" : "update")]))[0];
      await pool.closeAll();
      expectApplied(c, outcome);
      if (i > 0) expect(outcome.result!.postAction).toBe("reload");
      const running = runningSystem(2, "test1");
      expect(running.environment.etc.check.text).toBe((c.args.config as { environment: { etc: { check: { text: string } } } }).environment.etc.check.text);
      expect(fleet.unitState(2, "test1")).toMatchObject({ state: "active", starts: 1, reloads: i });
    }
    expect(runningSystem(2, "test1").services).toEqual({ nginx: { enable: true } });
  });
});
