# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    hostAddress = "10.231.136.1";
    hostAddress6 = "fc00::1";
    localAddress = "10.231.136.2";
    localAddress6 = "fc00::2/64";
    localMacAddress = "02:00:00:00:00:01";
    privateNetwork = true;
  };
}
