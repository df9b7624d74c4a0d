# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    { };
    forwardPorts = [
      {
        containerPort = 80;
        hostPort = 8080;
      }
      {
        hostPort = 53;
        protocol = "udp";
      }
    ];
    hostAddress = "10.1.0.1";
    localAddress = "10.1.0.2";
    privateNetwork = true;
  };
}
