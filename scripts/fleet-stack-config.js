#!/usr/bin/env node
// Points a stack of one of the examples at a simulated fleet: writes the
// `hosts` map (address, pinned host key, key file) from the fleet manifest
// into Pulumi.<stack>.yaml, keeping what `pulumi stack init` put there.
//   scripts/fleet-stack-config.js <projectDir> <stack> [manifest.json] [user]
const fs = require("node:fs");
const path = require("node:path");
const YAML = require("yaml");

// The manifest defaults to the fleet's own default state, <repo>/.state/fleet (tests/hosts/fleet).
const defaultState = process.env.FLEET_STATE || path.join(__dirname, "..", ".state", "fleet");
const [projectDir, stack, manifestPath = path.join(defaultState, "manifest.json"), user = "root"] = process.argv.slice(2);
if (!projectDir || !stack) {
  console.error("usage: fleet-stack-config.js <projectDir> <stack> [manifest.json] [user]");
  process.exit(2);
}
const project = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")).name;
const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
const hosts = {};
for (const h of manifest.hosts) {
  hosts[h.name] = { host: h.address, port: h.port, user, hostKey: h.hostKey, privateKeyFile: h.users[user].privateKeyPath };
}
const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
const doc = fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) ?? {} : {};
doc.config = { ...(doc.config ?? {}), [`${project}:hosts`]: hosts };
fs.writeFileSync(file, YAML.stringify(doc));
console.log(`${file}: ${Object.keys(hosts).length} hosts from ${manifestPath}`);
