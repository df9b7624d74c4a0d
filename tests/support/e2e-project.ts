/**
 * For an end-to-end test file: a project under tests/e2e/projects, this package linked into it as
 * a user's program resolves it, a simulated fleet of its own and a stack "e2e" configured for that
 * fleet (scripts/fleet-stack-config.js); all removed after the file.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "./pulumi-cli";

const ROOT = join(__dirname, "..", "..");

export function useProjectOnFleet(project: string, octet: number, hosts = 1): { fleet: () => Fleet; stack: () => PulumiStack } {
  const dir = join(ROOT, "tests", "e2e", "projects", project);
  let fleet: Fleet | undefined;
  let stack: PulumiStack | undefined;
  beforeAll(() => {
    // The dynamic provider requires the package by its name, as a user's program resolves it.
    rmSync(join(dir, "node_modules"), { recursive: true, force: true });
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "pulumi-nixos-containers"));
    fleet = startFleet(octet, hosts);
    stack = new PulumiStack(dir, "e2e");
    rmSync(join(dir, "Pulumi.e2e.yaml"), { force: true });
    stack.init();
    execFileSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, "e2e", join(fleet.state, "manifest.json")]);
  });
  afterAll(() => {
    stack?.remove();
    rmSync(join(dir, "Pulumi.e2e.yaml"), { force: true });
    rmSync(join(dir, "node_modules"), { recursive: true, force: true });
    fleet?.down();
  });
  return { fleet: () => fleet!, stack: () => stack! };
}
