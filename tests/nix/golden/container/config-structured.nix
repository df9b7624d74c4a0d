# Managed by pulumi-nixos-containers. Container "web".
# Do not edit: `pulumi up` overwrites this file and `pulumi refresh` reports edits as drift.
{ lib, pkgs, ... }:

{
  containers.web = {
    config = { config, lib, pkgs, ... }:
    {
      environment = {
        systemPackages = with pkgs; [ vim curl ];
      };
      networking = {
        firewall = {
          allowedTCPPorts = [ 80 443 ];
        };
      };
      services = {
        nginx = {
          enable = true;
          virtualHosts = {
            "example.org" = {
              root = "/var/www";
            };
          };
        };
      };
      system = {
        stateVersion = "25.11";
      };
      users = {
        users = {
          alice = {
            extraGroups = [ "wheel" ];
            isNormalUser = true;
          };
        };
      };
    };
  };
}
