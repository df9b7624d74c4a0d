"use strict";
// A Fleet of the inventory in config `inventory`: one NixosHost per host when config `mode` is
// "per-host", else one NixosFleet (the default). tests/e2e/fleet-migration.test.ts moves a stack
// from the first to the second.
const pulumi = require("@pulumi/pulumi");
const nixos = require("pulumi-nixos-containers");

const config = new pulumi.Config();
const fleet = new nixos.Fleet("fleet", { inventory: config.require("inventory"), hosts: nixos.hostsFromConfig(config), mode: config.get("mode") });
exports.systems = pulumi.all(Object.fromEntries(Object.entries(fleet.containers).map(([key, c]) => [key, c.systemPath])));
