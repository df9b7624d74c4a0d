# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    path = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-nixos-system-web-25.11";
  };
}
