# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    extraVeths = {
      veth3 = {
        hostAddress = "fd00:3::1/64";
        localAddress = "fd00:3::2/64";
      };
      veth4 = {
        hostAddress = "fd00:4::1";
        localAddress6 = "fd00:4::2";
      };
    };
  };
}
