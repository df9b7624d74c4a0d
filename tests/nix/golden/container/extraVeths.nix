# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    extraVeths = {
      vb-web = {
        hostBridge = "br1";
      };
      vx-web = {
        hostAddress = "10.5.0.1";
        localAddress = "10.5.0.2";
      };
    };
  };
}
