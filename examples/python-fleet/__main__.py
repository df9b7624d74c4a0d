"""Four NixOS containers on two hosts, one NixosHost per host: one SSH connection and one
nixos-rebuild per host per run. The hosts (address, port, pinned host key) and the SSH key
come from stack config, so the same program targets the simulated fleet or real machines."""
import pulumi
import pulumi_nixos_containers as nixos

config = pulumi.Config()
# Hosts by name: {"host1": {"host": "10.0.0.11", "port": 22, "hostKey": "ssh-ed25519 AAAA…"}, …}
# (scripts/fleet-stack-config.js writes them for the simulated fleet).
hosts = config.require_object("hosts")
# The SSH key, a secret: pulumi config set --secret sshKey < ~/.ssh/id_ed25519
ssh_key = config.require_secret("sshKey")

# What runs where. Each entry takes the NixosContainer arguments (docs/options.md); `config`
# is the container's NixOS configuration, and {"$nix": "…"} is raw Nix.
CONTAINERS = {
    "host1": {
        "web": nixos.HostContainerArgs(
            auto_start=True,
            private_network=True,
            host_address="10.231.1.1",
            local_address="10.231.1.2",
            forward_ports=[nixos.ForwardPortArgs(host_port=8080, container_port=80)],
            config={
                "services": {"nginx": {"enable": True, "virtualHosts": {"default": {"root": "/var/www"}}}},
                "networking": {"firewall": {"allowedTCPPorts": [80]}},
            },
        ),
        "api": nixos.HostContainerArgs(
            auto_start=True,
            config={
                "environment": {"systemPackages": {"$nix": "with pkgs; [ curl jq ]"}},
                "systemd": {"services": {"api": {"wantedBy": ["multi-user.target"], "script": "exec python3 -m http.server 9000"}}},
            },
        ),
    },
    "host2": {
        "db": nixos.HostContainerArgs(
            auto_start=True,
            config={"services": {"postgresql": {"enable": True, "ensureDatabases": ["app"]}}},
        ),
        "cache": nixos.HostContainerArgs(
            auto_start=True,
            config={"services": {"redis": {"servers": {"main": {"enable": True, "port": 6379}}}}},
        ),
    },
}

status = {}
for name, containers in CONTAINERS.items():
    h = hosts[name]
    host = nixos.NixosHost(
        name,
        connection=nixos.ConnectionArgs(host=h["host"], port=h.get("port", 22), host_key=h["hostKey"], private_key=ssh_key),
        containers=containers,
    )
    for key in containers:
        status[f"{name}/{key}"] = host.containers.apply(lambda c, key=key: c[key].get("status"))

pulumi.export("status", status)
