# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    hostAddress = "fc00::2";
    localAddress = "fc00::1";
    privateNetwork = true;
  };
}
