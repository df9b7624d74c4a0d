/** Test layers are selected by path: tests/unit, tests/nix (real evaluator),
 *  tests/hosts (simulated fleet self-tests), tests/integration, tests/e2e,
 *  tests/toolchain (schema check, generated SDKs, Python and YAML language hosts). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
  testTimeout: 120000,
  // A leaked handle (a socket, a child) must never hold CI until its time limit runs out.
  forceExit: true,
};
