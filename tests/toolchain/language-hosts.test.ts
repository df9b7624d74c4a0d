/**
 * The Python and Pulumi YAML language hosts built by `make tools` run programs through the real
 * Pulumi CLI (file backend), with Python from the project's virtualenv (.tools/python-venv).
 */
import { join } from "node:path";
import { PulumiStack } from "../support/pulumi-cli";

const ROOT = join(__dirname, "..", "..");
const TOKEN = "poison-token-26c";

function withStack(program: string, run: (stack: PulumiStack) => void): void {
  const stack = new PulumiStack(join(__dirname, "programs", program), "toolchain");
  try {
    stack.init();
    stack.setConfig("who", "nixos");
    stack.setConfig("token", TOKEN, true);
    run(stack);
  } finally {
    stack.dispose();
  }
}

it("runs a Python program with pulumi 3.248.0 from the virtualenv, a secret staying secret", () => {
  withStack("python", (stack) => {
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 1 created/);
    expect(up.all).not.toContain(TOKEN);
    expect(stack.outputs()).toEqual({
      greeting: "hello nixos",
      python: join(ROOT, ".tools", "python-venv", "bin", "python3"),
      sdk: "3.248.0",
      token: "[secret]",
    });
    expect(stack.exportState()).not.toContain(TOKEN);
    expect(stack.run(["destroy", "--yes", "--stack", "toolchain"]).code).toBe(0);
  });
});

it("runs a Pulumi YAML program: config, variables and outputs", () => {
  withStack("yaml", (stack) => {
    const preview = stack.preview();
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/\+ 1 to create/);
    const up = stack.up();
    expect(up.code).toBe(0);
    expect(up.all).not.toContain(TOKEN);
    expect(stack.outputs()).toEqual({ greeting: "hello nixos", hosts: ["host1", "host2"], token: "[secret]" });
    expect(stack.exportState()).not.toContain(TOKEN);
    expect(stack.run(["destroy", "--yes", "--stack", "toolchain"]).code).toBe(0);
  });
});
