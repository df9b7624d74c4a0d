# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    allowedDevices = [
      {
        modifier = "rwm";
        node = "/dev/net/tun";
      }
      {
        modifier = "rw";
        node = "char-pts";
      }
    ];
    config = { config, lib, pkgs, ... }:
    { };
  };
}
