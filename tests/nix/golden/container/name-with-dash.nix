# Managed by pulumi-nixos-containers. Container "web-2".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web-2 = {
    config = { config, lib, pkgs, ... }:
    { };
  };
}
