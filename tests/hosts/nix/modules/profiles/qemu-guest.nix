# Stub of nixpkgs' profiles/qemu-guest.nix for the simulated fleet.
{ ... }: { boot.initrd.availableKernelModules = [ "virtio_pci" "virtio_blk" ]; }
