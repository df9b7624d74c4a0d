{
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
          forceSSL = true;
          locations = {
            "/" = {
              extraConfig = ''
                autoindex on;
              '';
              root = "/var/www";
            };
          };
        };
      };
    };
    openssh = {
      enable = true;
      ports = [ 22 2222 ];
      settings = {
        PasswordAuthentication = false;
      };
    };
  };
  system = {
    stateVersion = "24.05";
  };
}
