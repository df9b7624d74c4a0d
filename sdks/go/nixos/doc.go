// Manage NixOS declarative containers (containers.<name>) on remote NixOS hosts over SSH, with Nix diffs in preview, drift detection and one rebuild per host per run.
package nixos
