# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
  };
  systemd.services."container@web".serviceConfig = {
    CPUQuota = "50%";
    MemoryMax = "1G";
    TasksMax = 512;
  };
}
