/**
 * For an end-to-end test file: a project under tests/e2e/projects (its package.json depends on
 * this package as a user's does; `make build` installs it), a simulated fleet of its own and a
 * stack (default "e2e") configured for that fleet (scripts/fleet-stack-config.js); removed after
 * the file, or after the describe block that calls it.
 */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Fleet, startFleet } from "../hosts/helpers";
import { PulumiStack } from "./pulumi-cli";

const ROOT = join(__dirname, "..", "..");

export function useProjectOnFleet(project: string, octet: number, hosts = 1, stackName = "e2e"): { fleet: () => Fleet; stack: () => PulumiStack } {
  const dir = join(ROOT, "tests", "e2e", "projects", project);
  let fleet: Fleet | undefined;
  let stack: PulumiStack | undefined;
  beforeAll(() => {
    fleet = startFleet(octet, hosts);
    stack = new PulumiStack(dir, stackName);
    rmSync(join(dir, `Pulumi.${stackName}.yaml`), { force: true });
    stack.init();
    execFileSync(join(ROOT, "scripts", "fleet-stack-config.js"), [dir, stackName, join(fleet.state, "manifest.json")]);
  });
  afterAll(() => {
    stack?.remove();
    rmSync(join(dir, `Pulumi.${stackName}.yaml`), { force: true });
    fleet?.down();
  });
  return { fleet: () => fleet!, stack: () => stack! };
}
