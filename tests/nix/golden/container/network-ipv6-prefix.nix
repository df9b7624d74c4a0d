# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    hostAddress = "fd00::1";
    localAddress = "fd00::2/64";
    localAddress6 = "fd00:1::2/64";
    privateNetwork = true;
  };
}
