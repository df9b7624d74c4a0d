"""Boot of a simulated host (inside its namespace): on the very first boot,
build generation 1 from /etc/nixos; then the NixOS boot activation (reference
E.1: the boot default is the `system` profile; autoStart containers start)."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import simhost as H  # noqa: E402

H.say("[%s] boot of %s" % (H.now_iso(), H.HOST["name"]), sys.stdout)
if not os.path.exists(os.path.join(H.PROFILES, "system")):
    if os.path.exists("/etc/nixos/flake.nix"):
        ev = H.evaluate(None, flake_ref="/etc/nixos")
    else:
        ev = H.evaluate("/etc/nixos/configuration.nix")
    if ev is None:
        H.say("initial evaluation of /etc/nixos failed", sys.stdout)
        sys.exit(1)
    top, _ = H.build_host_system(ev)
    H.set_profile(top)
    H.event(event="install", system=top, generation=1)
H.boot_activate()
H.say("[%s] booted %s" % (H.now_iso(), os.path.realpath("/run/current-system")), sys.stdout)
