/**
 * One NixOS container on one host. The host comes from stack config: the
 * entry of `hosts` named by `target` (or the only/first one).
 */
import * as pulumi from "@pulumi/pulumi";
import * as nixos from "pulumi-nixos-containers";

const config = new pulumi.Config();
const hosts = nixos.hostsFromConfig(config);
const target = config.get("target") ?? Object.keys(hosts).sort()[0];

const hello = new nixos.NixosContainer("hello", {
  connection: hosts[target],
  autoStart: true,
  config: {
    environment: {
      etc: { motd: { text: "Hello from a NixOS container managed by Pulumi\n" } },
      systemPackages: nixos.nix`with pkgs; [ hello ]`,
    },
  },
});

export const host = hello.host;
export const status = hello.status;
export const systemPath = hello.systemPath;
