# Managed by pulumi-nixos-containers. Container "web-2".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web-2 = {
    autoStart = true;
    config = { config, lib, pkgs, ... }:
    { };
    restartIfChanged = false;
  };
  systemd.services."container@web-2".serviceConfig = {
    AllowedCPUs = "0-3,6";
    CPUQuota = "250%";
    CPUWeight = 50;
    IOWeight = 200;
    MemoryHigh = "1.5G";
    MemoryMax = "75%";
    MemorySwapMax = "0";
    TasksMax = "infinity";
  };
}
