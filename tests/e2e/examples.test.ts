/** examples/basic and examples/webserver run as they are, through the real Pulumi CLI. */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack, diagnostics } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
let fleet: Fleet;
beforeAll(() => {
  fleet = startFleet(141, 1);
  // examples/webserver's bind mount sources: systemd-nspawn refuses to start a container whose source is missing
  fleet.ok(1, "mkdir -p /srv/www /var/log/containers/www");
});
afterAll(() => fleet?.down());

function withStack(example: string, run: (stack: PulumiStack) => void): void {
  const dir = join(ROOT, "examples", example);
  const stack = new PulumiStack(dir, "e2e");
  rmSync(join(dir, "Pulumi.e2e.yaml"), { force: true });
  try {
    stack.init();
    execFileSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, "e2e", join(fleet.state, "manifest.json")]);
    run(stack);
    const destroyed = stack.run(["destroy", "--yes", "--stack", "e2e"]);
    expect(destroyed.code).toBe(0);
  } finally {
    stack.remove();
    rmSync(join(dir, "Pulumi.e2e.yaml"), { force: true });
  }
}

it("examples/basic: one container, up and running its system", () => {
  withStack("basic", (stack) => {
    const r = stack.up();
    expect(r.code).toBe(0);
    expect(r.all).toMatch(/\+ 2 created/);
    // A NixosContainer's row shows its host's phases while it runs; the host's summary is the one line kept.
    const address = fleet.host(1).address.replace(/\./g, "\\.");
    for (const phase of ["create hello: locking", "writing 1 module", "nixos-rebuild switch: building", "nixos-rebuild switch: activating", "done in"]) {
      expect(r.stdout).toMatch(new RegExp(`NixosContainer hello creating \\(\\d+s\\) .*${address}: ${phase}`));
    }
    expect([...diagnostics(r.stdout)]).toEqual([
      ["pulumi-nodejs:dynamic/nixos:NixosContainer (hello)", [expect.stringMatching(new RegExp(`^${address}: 1 rebuild \\(switch\\) in \\d+\\.\\d s, 1 container: 1 created$`))]],
    ]);
    const out = stack.outputs();
    expect(out).toMatchObject({ host: fleet.host(1).address, status: "up" });
    expect(fleet.unitState(1, "hello")).toMatchObject({ state: "active", system: out.systemPath });
  });
  expect(fleet.ssh(1, "test -e /etc/nixos/pulumi-containers/hello.nix").code).not.toBe(0);
});

it("examples/webserver: private network, forwarded ports and bind mounts reach the host's conf", () => {
  withStack("webserver", (stack) => {
    const r = stack.up();
    expect(r.code).toBe(0);
    const out = stack.outputs();
    expect(out).toMatchObject({ url: `http://${fleet.host(1).address}:8080/`, address: "10.250.0.2", status: "up" });
    const conf = fleet.ok(1, "cat /etc/nixos-containers/www.conf");
    expect(conf).toMatch(/^PRIVATE_NETWORK=1$/m);
    expect(conf).toMatch(/^HOST_PORT="?tcp:8080:80,tcp:8443:443"?$/m);
    expect(conf).toMatch(/--bind-ro=\/srv\/www:\/var\/www/);
    expect(conf).toMatch(/--bind=\/var\/log\/containers\/www:\/var\/log\/nginx/);
  });
});
