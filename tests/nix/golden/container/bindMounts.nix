# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    bindMounts = {
      "/var/www" = {
        hostPath = "/srv/www";
        isReadOnly = false;
      };
      logs = {
        mountPoint = "/var/log/app";
      };
    };
    config = { config, lib, pkgs, ... }:
    { };
  };
}
