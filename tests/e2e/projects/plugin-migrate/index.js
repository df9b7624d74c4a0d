"use strict";
// A NixosContainer and a NixosHost with one container, from "pulumi-nixos-containers" (the
// dynamic provider) or, with the config `front` set to "plugin", from
// "pulumi-nixos-containers/plugin": the one line a program changes to move to the plugin.
// tests/e2e/plugin-migration.test.ts moves a stack from the first to the second.
const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
const nixos = config.get("front") === "plugin" ? require("pulumi-nixos-containers/plugin") : require("pulumi-nixos-containers");

const connection = nixos.hostsFromConfig(config).host1;

const web = new nixos.NixosContainer("web", { connection, autoStart: true, config: { services: { nginx: { enable: true } } } });
const host = new nixos.NixosHost("host1", {
  connection,
  containers: { db: { autoStart: true, config: { environment: { systemPackages: nixos.nix`with pkgs; [ curl ]` } } } },
});
exports.systems = pulumi.all({ web: web.systemPath, db: host.containers.apply((c) => c.db.systemPath) });
