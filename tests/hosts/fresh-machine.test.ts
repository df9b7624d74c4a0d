/**
 * A machine where Nix never ran: Debian's nix-bin installs the binaries, not /nix. Each
 * scenario runs in a private mount namespace where /nix is an empty tmpfs (the machine's
 * own /nix is never touched), brings up a host, uses it, and takes it down again.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FLEET, testSubnet } from "./helpers";

const SUBNET = testSubnet(115);

/** Runs `script` (bash) where /nix is an empty directory; $FLEET and $SSH are set for it. */
function onFreshMachine(script: string, opts: { nixReadOnly?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-test-fresh-"));
  fs.mkdirSync("/nix", { recursive: true }); // a mount point only: empty, as on a new machine
  const prelude = `
    set -u
    mount -t tmpfs -o mode=0755${opts.nixReadOnly ? ",ro" : ""} fresh-nix /nix
    FLEET=${FLEET}
    SSH="ssh -i $FLEET_STATE/keys/root_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$FLEET_STATE/known_hosts root@${SUBNET}.11"
  `;
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "--", "bash", "-c", prelude + script], {
    env: { ...process.env, FLEET_STATE: state, FLEET_SUBNET: SUBNET, ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  // Whatever happened inside, no host of this test outlives it.
  spawnSync(FLEET, ["down"], { env: { ...process.env, FLEET_STATE: state }, encoding: "utf8" });
  fs.rmSync(state, { recursive: true, force: true });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

describe("a machine where Nix never ran", () => {
  test("a host boots, rebuilds a container and prints no Nix warning", () => {
    const module = `{ ... }: { containers.web = { autoStart = true; config = { ... }: { }; }; }`;
    const r = onFreshMachine(`
      "$FLEET" up 1 >/dev/null || exit 10
      $SSH 'cat > /etc/nixos/pulumi-containers/default.nix' <<'EOF'
${module}
EOF
      $SSH 'nixos-rebuild switch 2>&1; echo "rebuild exit $?"; nixos-container status web'
      echo "store: $(stat -c '%U:%G %a' /nix/store)"
    `);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the following new units were started: container@web.service");
    expect(r.stdout).toContain("rebuild exit 0\nup\n");
    // A real NixOS host has its build users; Nix complains about nothing.
    expect(r.stdout).not.toMatch(/warning|nixbld/);
    // The fleet made the machine's /nix/store as the first Nix command would have.
    expect(r.stdout).toMatch(/store: root:root 755/);
  });

  test("without a writable /nix, `fleet up` says what is missing and how to fix it", () => {
    const r = onFreshMachine(`"$FLEET" up 1`, { nixReadOnly: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fleet: cannot create \/nix\/store, which every simulated host mounts or reads \(Read-only file system\)\..*mkdir -p \/nix\/store/);
    expect(r.stderr).not.toMatch(/special device|mount:/);
  });

  test("without nix-bin, `fleet up` names the package to install", () => {
    // The machine's PATH, minus Nix's commands.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-path-"));
    for (const dir of (process.env.PATH ?? "").split(":").filter((d) => fs.existsSync(d))) {
      for (const tool of fs.readdirSync(dir)) {
        if (!tool.startsWith("nix") && !fs.existsSync(path.join(bin, tool))) fs.symlinkSync(path.join(dir, tool), path.join(bin, tool));
      }
    }
    try {
      const r = onFreshMachine(`PATH=${bin} "$FLEET" up 1`);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("fleet: this machine lacks nix-bin; install them with scripts/system-deps.sh (or apt-get install nix-bin)\n");
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
