# Stub of nixpkgs' profiles/minimal.nix for the simulated fleet.
{ lib, ... }: { documentation.enable = lib.mkDefault false; }
