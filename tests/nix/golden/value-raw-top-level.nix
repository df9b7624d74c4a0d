# Binds the free variables of the raw Nix below, as a NixOS module would.
{ lib, pkgs, ... }:
{ config, pkgs, ... }: {
  services.nginx.enable = true;
}
