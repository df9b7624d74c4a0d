# Fake `pkgs` for the simulated fleet: a fixed set of package names mapping to
# fake derivations { type = "derivation"; name; outPath = "/nix/store/<hash>-<name>"; }.
# Nothing is ever built. Unknown names fail like a missing nixpkgs attribute.
# Overlays work as in nixpkgs (a fixed point of `final: prev:` functions):
# `appendOverlays`, `extend`, and `overrideAttrs`/`override` on a package.
# The list is documented in tests/hosts/README.md ("Fake pkgs").
{ lib }:
let
  b = builtins;
  hash32 = s: b.replaceStrings [ "e" ] [ "z" ] (b.substring 0 32 (b.hashString "sha256" s));
  # What a derivation's attributes hash to: functions have no value to hash, packages are their path.
  plain = v:
    if b.isFunction v then "<function>"
    else if b.isAttrs v then (if v ? outPath then toString v.outPath else b.mapAttrs (_: plain) v)
    else if b.isList v then map plain v
    else v;
  # `a` are the derivation's attributes (name, pname, version and the rest), as mkDerivation's.
  # A writer's derivation (simFile: its text) reports its file through builtins.trace when its
  # path is used, so that the simulator can create it (lib/simhost.py, store_files).
  mkDrv = a: let
      path = "/nix/store/${hash32 "${a.name}:${b.toJSON (plain (removeAttrs a [ "name" "pname" "passthru" "simFile" ]))}"}-${a.name}";
      self = {
        type = "derivation"; inherit (a) name; pname = a.pname or a.name; version = a.version or "sim";
        outPath = if a ? simFile then b.trace "sim-store-file:${b.toJSON (a.simFile // { inherit path; })}" path else path;
        drvPath = "/nix/store/${hash32 "drv:${a.name}"}-${a.name}.drv";
        system = "x86_64-linux"; outputs = [ "out" ]; meta = { description = "simulated package ${a.name}"; };
        drvAttrs = a;
        override = args: mkDrv (a // { override = args; });
        # overrideAttrs (old: { ... }) or (final: prev: { ... }), as stdenv's: a new name, or a new
        # pname/version, gives a new name; anything else only a new path.
        overrideAttrs = f: let
            r0 = f a;
            r = if b.isFunction r0 then f (a // r0 a) a else r0;
            renamed = !(r ? name) && (r ? pname || r ? version) && a ? pname;
            merged = a // r;
          in mkDrv (merged // lib.optionalAttrs renamed { name = "${merged.pname}-${merged.version or "sim"}"; });
      } // (a.passthru or { });
    in self // { out = self; bin = self; dev = self; lib = self; man = self; };
  pkg = name: mkDrv { inherit name; pname = name; };
  names = [
    # core and shell tools
    "bash" "bashInteractive" "zsh" "fish" "dash" "coreutils" "coreutils-full" "findutils" "diffutils" "gnused" "gnugrep" "gawk" "gnutar" "gzip" "bzip2" "xz" "zstd" "zip" "unzip" "p7zip"
    "util-linux" "procps" "psmisc" "iproute2" "iputils" "nettools" "inetutils" "ethtool" "iptables" "nftables" "bridge-utils" "tcpdump" "nmap" "netcat" "netcat-gnu" "socat" "mtr" "traceroute" "whois" "dig" "dnsutils" "bind" "ldns"
    "curl" "wget" "aria2" "httpie" "openssh" "openssl" "gnupg" "age" "sops" "rsync" "rclone" "restic" "borgbackup"
    "vim" "neovim" "emacs" "nano" "helix" "micro" "less" "most" "man" "man-pages" "file" "which" "tree" "htop" "btop" "iotop" "iftop" "nethogs" "lsof" "strace" "ltrace" "gdb" "perf-tools" "sysstat" "dstat"
    "tmux" "screen" "git" "git-lfs" "mercurial" "subversion" "jq" "yq" "yq-go" "fzf" "ripgrep" "fd" "bat" "eza" "exa" "ncdu" "du-dust" "duf" "pv" "parallel" "moreutils" "watch" "entr"
    "gcc" "clang" "llvm" "gnumake" "cmake" "meson" "ninja" "pkg-config" "autoconf" "automake" "libtool" "binutils" "patchelf" "glibc" "musl" "stdenv" "busybox" "toybox"
    # languages
    "python3" "python311" "python312" "python313" "pypy3" "nodejs" "nodejs_18" "nodejs_20" "nodejs_22" "yarn" "pnpm" "deno" "bun" "go" "rustc" "cargo" "rustup" "jdk" "jdk17" "jdk21" "jre" "maven" "gradle" "ruby" "perl" "php" "lua" "luajit" "ghc" "cabal-install" "stack" "elixir" "erlang" "ocaml" "opam" "zig" "nim" "julia" "R" "dotnet-sdk" "sbcl" "racket" "guile" "tcl"
    # servers and services
    "nginx" "nginxMainline" "caddy" "apacheHttpd" "haproxy" "traefik" "envoy" "varnish" "squid" "lighttpd"
    "postgresql" "postgresql_14" "postgresql_15" "postgresql_16" "postgresql_17" "mysql80" "mariadb" "sqlite" "redis" "valkey" "memcached" "mongodb" "cassandra" "clickhouse" "influxdb" "influxdb2" "etcd" "consul" "vault" "nomad" "minio" "garage" "couchdb" "neo4j" "elasticsearch" "opensearch" "meilisearch" "typesense"
    "rabbitmq-server" "mosquitto" "nats-server" "kafka" "zookeeper" "prometheus" "grafana" "loki" "promtail" "alertmanager" "node-exporter" "prometheus-node-exporter" "telegraf" "victoriametrics" "uptime-kuma" "netdata" "zabbix"
    "gitea" "forgejo" "gitlab" "jenkins" "drone" "woodpecker-server" "nextcloud" "nextcloud30" "vaultwarden" "keycloak" "authelia" "jellyfin" "plex" "home-assistant" "mastodon" "matrix-synapse" "dendrite" "discourse" "wordpress" "mediawiki" "ghost" "hedgedoc" "outline" "paperless-ngx" "immich" "syncthing" "transmission" "deluge" "qbittorrent"
    "openldap" "kanidm" "samba" "nfs-utils" "dnsmasq" "unbound" "knot-dns" "powerdns" "coredns" "bind9" "kea" "chrony" "ntp" "openntpd" "postfix" "dovecot" "opendkim" "rspamd" "exim" "sendmail" "wireguard-tools" "openvpn" "tailscale" "headscale" "zerotierone" "nebula" "strongswan" "frr" "bird" "bird2" "keepalived"
    "docker" "docker-compose" "podman" "buildah" "skopeo" "containerd" "runc" "cri-o" "kubectl" "kubernetes" "k3s" "helm" "kubernetes-helm" "terraform" "opentofu" "pulumi" "ansible" "packer" "awscli2" "google-cloud-sdk" "azure-cli"
    "cron" "cronie" "fcron" "logrotate" "rsyslog" "syslogng" "fail2ban" "sshguard" "acme-sh" "certbot" "lego" "cloudflared" "ngrok"
    "ffmpeg" "imagemagick" "graphicsmagick" "ghostscript" "pandoc" "texlive" "poppler_utils" "libreoffice" "chromium" "firefox" "git-crypt" "pass" "hello" "cowsay" "figlet" "lolcat" "sl" "fortune"
    "systemd" "dbus" "udev" "kmod" "e2fsprogs" "btrfs-progs" "xfsprogs" "zfs" "lvm2" "mdadm" "cryptsetup" "parted" "gptfdisk" "dosfstools" "ntfs3g" "smartmontools" "hdparm" "nvme-cli" "pciutils" "usbutils" "lshw" "dmidecode"
    "nix" "nix-output-monitor" "nixos-rebuild" "nixos-container" "nix-index" "nixpkgs-fmt" "nixfmt-rfc-style" "alejandra" "statix" "deadnix" "cachix" "direnv" "nix-direnv" "home-manager"
    "shadow" "sudo" "doas" "polkit" "pam" "cacert" "tzdata" "glibcLocales" "mailutils" "getent" "gettext" "ncurses" "readline" "zlib" "libffi" "icu" "pcre" "pcre2" "libxml2" "libxslt" "libyaml" "libuv" "libevent" "boost" "protobuf" "grpc"
  ];

  base = b.listToAttrs (map (n: { name = n; value = pkg n; }) names);
  platform = { system = "x86_64-linux"; isLinux = true; isx86_64 = true; isAarch64 = false; isDarwin = false; };
  sets = {
    python3Packages = b.listToAttrs (map (n: { name = n; value = pkg "python3.12-${n}"; }) [ "requests" "flask" "django" "numpy" "pandas" "pyyaml" "jinja2" "gunicorn" "uvicorn" "fastapi" "psycopg2" "pip" "setuptools" ]);
    nodePackages = b.listToAttrs (map (n: { name = n; value = pkg "node-${n}"; }) [ "npm" "typescript" "pm2" "yarn" "prettier" ]);
    linuxPackages = { kernel = (pkg "linux-6.12.0") // { version = "6.12.0"; }; };
    linuxPackages_latest = { kernel = (pkg "linux-6.14.0") // { version = "6.14.0"; }; };
    nixosTests = { };
  };
  # The package set before overlays; `final` is the set after all of them (what callPackage sees).
  start = overlays: final: base // sets // rec {
    writeTextFile = { name, text ? "", executable ? false, destination ? "", ... }:
      mkDrv { inherit name text executable destination; simFile = { inherit text executable destination; }; };
    writeText = name: text: writeTextFile { inherit name text; };
    writeTextDir = path: text: writeTextFile { name = b.baseNameOf path; inherit text; destination = "/${path}"; };
    writeScript = name: text: writeTextFile { inherit name text; executable = true; };
    writeScriptBin = name: text: writeTextFile { inherit name text; executable = true; destination = "/bin/${name}"; };
    writeShellScript = name: text: writeScript name "#!/bin/sh\n${text}";
    writeShellScriptBin = name: text: writeScriptBin name "#!/bin/sh\n${text}";
    writeShellApplication = { name, text, runtimeInputs ? [ ], ... }: writeShellScriptBin name text;
    writers = { writeBash = writeShellScript; writeBashBin = writeShellScriptBin; writePython3 = name: _: writeScript name; writePython3Bin = name: _: writeScriptBin name; };
    runCommand = name: env: cmd: mkDrv { inherit name cmd; };
    runCommandLocal = runCommand;
    runCommandNoCC = runCommand;
    symlinkJoin = { name, paths ? [ ], ... }: mkDrv { inherit name; paths = map toString paths; };
    buildEnv = { name, paths ? [ ], ... }: mkDrv { inherit name; paths = map toString paths; };
    linkFarm = name: entries: mkDrv { inherit name; entries = b.toJSON (if b.isList entries then map (e: e.name) entries else b.attrNames entries); };
    fetchurl = { url ? "", urls ? [ ], hash ? "", sha256 ? "", name ? b.baseNameOf url, ... }: mkDrv { inherit name url hash sha256; };
    fetchzip = a: fetchurl a;
    fetchgit = { url, rev ? "HEAD", ... }: mkDrv { name = "source"; inherit url rev; };
    fetchFromGitHub = { owner, repo, rev ? "HEAD", tag ? "", ... }: mkDrv { name = "source"; inherit owner repo rev tag; };
    formats = let fmt = kind: _: { type = lib.types.anything; generate = name: value: mkDrv { inherit name kind; value = b.toJSON value; }; }; in
      { json = fmt "json"; yaml = fmt "yaml"; toml = fmt "toml"; ini = fmt "ini"; keyValue = fmt "keyValue"; };
    callPackage = f: args: let fn = if b.isFunction f then f else import f; in fn (b.intersectAttrs (b.functionArgs fn) (final // args));
    stdenv = (pkg "stdenv") // {
      mkDerivation = a: mkDrv (removeAttrs a [ "meta" ] // { name = a.name or "${a.pname or "unnamed"}-${a.version or "0"}"; });
      hostPlatform = platform; buildPlatform = platform; isLinux = true;
    };
    inherit lib;
    path = "/nix/store/${hash32 "nixpkgs-source"}-source";
    system = "x86_64-linux";
    hostPlatform = platform; buildPlatform = platform; targetPlatform = platform;
    pkgs = final;
    inherit overlays;
    appendOverlays = more: if more == [ ] then final else withOverlays (overlays ++ more);
    extend = overlay: withOverlays (overlays ++ [ overlay ]);
    # Marks a package set, so that the simulator never walks one as configuration data.
    __simPkgs = true;
  };
  # nixpkgs' fixed point: each overlay gets the final set and the one before it.
  withOverlays = overlays:
    let
      apply = prevFn: overlay: final: let prev = prevFn final; in prev // overlay final prev;
      final = (b.foldl' apply (start overlays) overlays) final;
    in final;
in
withOverlays [ ]
