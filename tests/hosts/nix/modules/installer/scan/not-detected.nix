# Stub of nixpkgs' installer/scan/not-detected.nix for the simulated fleet.
{ lib, ... }: { hardware.enableRedistributableFirmware = lib.mkDefault true; }
