# Binds the free variables of the raw Nix below, as a NixOS module would.
{ lib, pkgs, ... }:
{
  commented = pkgs.git # the trailing comment cannot eat the semicolon
  ;
  commentedInList = [
    (pkgs.git # in a list
    )
  ];
  list = [ pkgs.vim (pkgs.python3.withPackages (ps: [ ps.requests ])) (-1) ];
  multiLine = let
  port = 8080;
in
  toString port;
  package = pkgs.hello;
  packages = with pkgs; [ vim curl ];
  template = pkgs.writeText "motd" "a\"\${b}";
  templateBigInt = 9223372036854775807;
  templateNegative = lib.mkDefault (-5);
  templateNested = lib.mkForce {
  a = [ 1 (-2) ];
  b = pkgs.hello;
};
}
