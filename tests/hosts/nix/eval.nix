# Entry point of the simulated `nixos-rebuild` evaluation (tests/hosts).
# Evaluates a NixOS host configuration (or one container configuration) with
# the mini module system and returns plain JSON data; the Python side turns it
# into store paths, /etc/nixos-containers/*.conf files and unit decisions.
#
#   nix-instantiate --readonly-mode --eval --strict --json eval.nix \
#     --argstr configuration /etc/nixos/configuration.nix --argstr hostName host1
#   ... --argstr flakeDir /nix/store/<h>-source --argstr flakeAttr host3
#   ... --argstr mode container --argstr containerName foo --argstr configuration <file>
{ configuration ? "", flakeDir ? "", flakeAttr ? "", hostName ? "nixos", mode ? "host", containerName ? "" }:
let
  b = builtins;
  lib = import ./lib.nix;
  M = import ./modules.nix { inherit lib; };
  inherit (lib) types mkOption mkDefault concatMap;
  pkgs = import ./pkgs.nix { inherit lib; };
  modulesPath = toString ./modules;
  containerModuleFile = "${pkgs.path}/nixos/modules/virtualisation/nixos-containers.nix";

  # ---------------------------------------------------------------- modules
  # Collect a module closure (imports, deduplicated by file, like NixOS keys).
  collect = { roots, args }:
    let
      call = f: v: if b.isFunction v then v (argsFor v) else v;
      argsFor = f: b.mapAttrs (n: _: args.${n} or args.config._module.args.${n})
        (lib.filterAttrs (n: hasDefault: !hasDefault || args ? ${n}) (b.functionArgs f));
      unify = file: key: m:
        let
          extra = b.attrNames (removeAttrs m [ "_file" "key" "disabledModules" "imports" "options" "config" "meta" "freeformType" "_class" ]);
        in
        if !(b.isAttrs m) then b.throw "Module `${file}' is not an attribute set or a function returning one (it is a ${b.typeOf m})."
        else if (m ? config || m ? options) && extra != [ ] then
          b.throw "Module `${file}' has an unsupported attribute `${b.head extra}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${b.concatStringsSep " " extra}) into the explicit `config' attribute."
        else {
          key = m.key or key; file = m._file or file;
          imports = m.imports or [ ]; options = m.options or { };
          config = if m ? config || m ? options then m.config or { } else removeAttrs m [ "_file" "key" "disabledModules" "imports" "meta" "freeformType" "_class" ];
          disabled = m.disabledModules or [ ];
        };
      load = parent: idx: m:
        if b.isPath m || b.isString m then
          let f = toString m; in unify f f (call f (import m))
        else if b.isFunction m then unify parent.file "${parent.key}:anon-${toString idx}" (call parent.file m)
        else unify parent.file "${parent.key}:anon-${toString idx}" m;
      start = lib.imap1 (i: r: load { file = r.file or "<root>"; key = "<root>"; } i (r.module or r)) roots;
      closure = b.genericClosure {
        startSet = start;
        operator = m: lib.imap1 (i: x: load m i x) m.imports;
      };
      disabledFiles = map (d: let s = toString d; in if lib.hasPrefix "/" s then s else "${modulesPath}/${s}") (concatMap (m: m.disabled) closure);
    in b.filter (m: !(b.elem m.file disabledFiles)) closure;

  mergeDecls = decls: b.foldl' (lib.recursiveUpdateUntil (p: l: r: M.isOptionDecl l || M.isOptionDecl r)) { } decls;

  evalModules = { roots, declared, prefix ? [ ], extraArgs ? { } }:
    let
      modules = collect { inherit roots; args = allArgs; };
      opts = mergeDecls ([ declared ] ++ map (m: m.options) modules);
      config = M.evalTree { loc = prefix; inherit opts; freeform = true; defs = map (m: { inherit (m) file; value = m.config; }) modules; };
      allArgs = extraArgs // { inherit config lib modulesPath; pkgs = pkgsOf config; options = opts; };
    in { inherit config modules; };

  # The `pkgs` module argument, as nixos/modules/misc/nixpkgs.nix makes it: `nixpkgs.pkgs` when
  # it is set (else the host's set), with `nixpkgs.overlays` applied.
  pkgsOf = config: (if config.nixpkgs.pkgs != null then config.nixpkgs.pkgs else pkgs).appendOverlays config.nixpkgs.overlays;
  nixpkgsOptions = {
    nixpkgs.pkgs = mkOption { type = types.raw; default = null; };
    nixpkgs.overlays = mkOption { type = types.listOf types.unspecified; default = [ ]; };
  };

  # Plain JSON-able data, without functions; `sim-undefined` leaves dropped.
  sanitize = v:
    if b.isFunction v then "<function>"
    else if b.isAttrs v && v ? __simPkgs then "<pkgs>"
    else if lib.isDerivation v then v.outPath
    else if b.isAttrs v then
      (if v ? _type && v._type == "sim-undefined" then null
       else if v ? outPath then toString v.outPath
       else b.mapAttrs (n: sanitize) (lib.filterAttrs (n: x: !(b.isAttrs x && (x._type or null) == "sim-undefined")) v))
    else if b.isList v then map sanitize v
    else if b.isPath v then toString v
    else v;

  checkAssertions = loc: cfg: v:
    let
      failed = map (a: a.message) (b.filter (a: !a.assertion) (cfg.assertions or [ ]));
      warned = b.foldl' (acc: w: b.trace "warning: ${w}" acc) v (cfg.warnings or [ ]);
    in if failed != [ ] then b.throw "\nFailed assertions:\n${b.concatStringsSep "\n" (map (x: "- ${x}") failed)}" else warned;

  # ---------------------------------------------------------- container eval
  hostnameType = types.strMatching "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$";
  containerSystemOptions = {
    networking.hostName = mkOption { type = hostnameType; default = "nixos"; };
    networking.useDHCP = mkOption { type = types.bool; default = true; };
    boot.isContainer = mkOption { type = types.bool; default = false; };
    boot.isNspawnContainer = mkOption { type = types.bool; default = false; };
    system.stateVersion = mkOption { type = types.str; default = "25.11"; };
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
  } // nixpkgsOptions;
  evalContainer = { name, defs, specialArgs ? { }, hostKernel ? "6.12.0", privateNetwork ? false }:
    let
      extraConfig = { config, ... }: {
        _file = containerModuleFile;
        boot.isNspawnContainer = true;
        boot.isContainer = true;
        networking.hostName = mkDefault name;
        networking.useDHCP = false;
        assertions = [
          {
            assertion = (b.compareVersions hostKernel "5.8" <= 0) -> privateNetwork -> b.stringLength name <= 11;
            message = ''
              Container name `${name}` is too long: When `privateNetwork` is enabled, container names can
              not be longer than 11 characters, because the container's interface name is derived from it.
              You should either make the container name shorter or upgrade to a more recent kernel that
              supports interface altnames (i.e. at least Linux 5.8 - please see https://github.com/NixOS/nixpkgs/issues/38509
              for details).
            '';
          }
          {
            assertion = !(lib.hasInfix "_" name);
            message = "Names containing underscores are not allowed in nixos-containers. Please rename the container '${name}'";
          }
        ];
      };
      ev = evalModules {
        roots = [ { file = containerModuleFile; module = extraConfig; } ] ++ map (d: { inherit (d) file; module = d.value; }) defs;
        declared = containerSystemOptions;
        prefix = [ "containers" name ];
        extraArgs = specialArgs;
      };
      cfg = ev.config;
    in checkAssertions [ "containers" name ] cfg (sanitize (removeAttrs cfg [ "assertions" "warnings" ]));

  # ---------------------------------------------------------- host options
  networkOptions = {
    hostBridge = mkOption { type = types.nullOr types.str; default = null; };
    forwardPorts = mkOption {
      type = types.listOf (types.submodule {
        options = {
          protocol = mkOption { type = types.str; default = "tcp"; };
          hostPort = mkOption { type = types.port; };
          containerPort = mkOption { type = types.nullOr types.port; default = null; };
        };
      });
      default = [ ];
    };
    hostAddress = mkOption { type = types.nullOr types.str; default = null; };
    hostAddress6 = mkOption { type = types.nullOr types.str; default = null; };
    localAddress = mkOption { type = types.nullOr types.str; default = null; };
    localAddress6 = mkOption { type = types.nullOr types.str; default = null; };
    localMacAddress = mkOption { type = types.nullOr (types.strMatching "([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}"); default = null; };
  };

  containerOptions = { name, config }: networkOptions // {
    config = mkOption {
      type = types.mkOptionType {
        name = "Toplevel NixOS config";
        merge = loc: defs: evalContainer {
          inherit name defs;
          specialArgs = config.specialArgs;
          hostKernel = hostKernelVersion;
          privateNetwork = config.privateNetwork;
        };
      };
    };
    path = mkOption { type = types.path; };
    flake = mkOption { type = types.nullOr types.str; default = null; };
    nixpkgs = mkOption { type = types.path; default = pkgs.path; };
    specialArgs = mkOption { type = types.attrsOf types.unspecified; default = { }; };
    additionalCapabilities = mkOption { type = types.listOf types.str; default = [ ]; };
    ephemeral = mkOption { type = types.bool; default = false; };
    enableTun = mkOption { type = types.bool; default = false; };
    copyResolvConf = mkOption { type = types.bool; default = true; };
    privateNetwork = mkOption { type = types.bool; default = false; };
    networkNamespace = mkOption { type = types.nullOr types.path; default = null; };
    privateUsers = mkOption { type = types.either types.ints.u32 (types.enum [ "no" "identity" "pick" ]); default = "no"; };
    interfaces = mkOption { type = types.listOf types.str; default = [ ]; };
    macvlans = mkOption { type = types.listOf types.str; default = [ ]; };
    extraVeths = mkOption { type = types.attrsOf (types.submodule { options = networkOptions; }); default = { }; };
    autoStart = mkOption { type = types.bool; default = false; };
    restartIfChanged = mkOption { type = types.bool; default = true; };
    timeoutStartSec = mkOption { type = types.str; default = "1min"; };
    bindMounts = mkOption {
      type = types.attrsOf (types.submoduleWith {
        options = {
          mountPoint = mkOption { type = types.str; };
          hostPath = mkOption { type = types.nullOr types.str; default = null; };
          isReadOnly = mkOption { type = types.bool; default = true; };
        };
        extraDefs = n: [ { file = containerModuleFile; value = { mountPoint = mkDefault n; }; } ];
      });
      default = { };
    };
    allowedDevices = mkOption {
      type = types.listOf (types.submodule {
        options = {
          node = mkOption { type = types.str; };
          modifier = mkOption { type = types.str; };
        };
      });
      default = [ ];
    };
    tmpfs = mkOption { type = types.listOf types.str; default = [ ]; };
    extraFlags = mkOption { type = types.listOf types.str; default = [ ]; };
    pkgs = mkOption {
      type = types.unspecified;
      _simRemoved = files: ''
        The option definition `containers.${name}.pkgs' in ${M.showFiles files} no longer has any effect; please remove it.

        Alternatively, you can use the following options:
        - containers.${name}.nixpkgs
          This sets the nixpkgs (and thereby the modules, pkgs and lib) that
          are used for evaluating the container.

        - containers.${name}.config.nixpkgs.pkgs
          This only sets the `pkgs` argument used inside the container modules.
      '';
      default = null;
    };
  };

  # Raw definitions of containers.<name>.<opt>, to know whether `config`/`pkgs` are defined.
  hostDeclared = {
    containers = mkOption {
      type = types.attrsOf (types.submoduleWith { options = containerOptions; });
      default = { };
    };
    boot.enableContainers = mkOption { type = types.bool; default = hostConfig.containers != { }; };
    boot.isContainer = mkOption { type = types.bool; default = false; };
    boot.isNspawnContainer = mkOption { type = types.bool; default = false; };
    networking.hostName = mkOption { type = hostnameType; default = "nixos"; };
    system.stateVersion = mkOption { type = types.str; default = "25.11"; };
    assertions = mkOption { type = types.listOf types.unspecified; default = [ ]; };
    warnings = mkOption { type = types.listOf types.str; default = [ ]; };
  } // nixpkgsOptions;

  # ---------------------------------------------------------- entry (host)
  flakeRoots =
    let
      flake = import (flakeDir + "/flake.nix");
      fakeNixpkgs = {
        outPath = pkgs.path;
        lib = lib // { nixosSystem = args: { _simNixosSystem = args; }; };
        legacyPackages.x86_64-linux = pkgs;
      };
      inputNames = b.attrNames (flake.inputs or { });
      inputs = b.listToAttrs (map (n: { name = n; value = if n == "nixpkgs" then fakeNixpkgs else { outPath = "/nix/store/${b.substring 0 32 (b.hashString "sha256" n)}-source"; }; }) inputNames)
        // { nixpkgs = fakeNixpkgs; self = outputs // { outPath = flakeDir; }; };
      outputs = flake.outputs inputs;
      attr = if flakeAttr != "" then flakeAttr else hostName;
      sys = outputs.nixosConfigurations.${attr} or (b.throw "flake 'git+file:///etc/nixos' does not provide attribute 'packages.x86_64-linux.nixosConfigurations.\"${attr}\".config.system.build.toplevel', 'legacyPackages.x86_64-linux.nixosConfigurations.\"${attr}\".config.system.build.toplevel' or 'nixosConfigurations.\"${attr}\".config.system.build.toplevel'");
      a = sys._simNixosSystem;
    in map (m: { file = flakeDir + "/flake.nix"; module = m; }) (a.modules or [ ]);

  hostRoots = if flakeDir != "" then flakeRoots else [ { file = configuration; module = configuration; } ];
  hostEval = evalModules { roots = hostRoots; declared = hostDeclared; extraArgs = { }; };
  hostConfig = hostEval.config;
  hostKernelVersion = let v = hostConfig.boot.kernelPackages.kernel.version or "6.12.0"; in if b.isString v then v else "6.12.0";

  rawContainerDefs = name:
    let
      pushed = concatMap (m: map (v: { inherit (m) file; value = v; }) (M.pushDown m.config)) hostEval.modules;
      cdefs = concatMap (d: if d.value ? containers then map (v: { inherit (d) file; value = v; }) (M.discharge d.value.containers) else [ ]) pushed;
      mine = concatMap (d: if b.isAttrs d.value && d.value ? ${name} then map (v: { inherit (d) file; value = v; }) (M.discharge d.value.${name}) else [ ]) cdefs;
      loaded = map (d: if b.isFunction d.value then d // { value = d.value { inherit name lib pkgs; config = hostConfig.containers.${name}; }; } else d) mine;
      opt = o: M.isDefinedDefs (concatMap (d: if b.isAttrs d.value && d.value ? ${o} then [ { inherit (d) file; value = d.value.${o}; } ] else [ ]) loaded);
    in { configDefined = opt "config"; pathDefined = opt "path"; };

  containerData = name: c:
    let
      raw = rawContainerDefs name;
      _pkgs = b.seq c.pkgs null;
      bad = raw.configDefined && c.flake != null;
      system = if raw.configDefined then c.config else null;
    in
    if bad then b.throw "The options 'containers.${name}.path' and 'containers.${name}.flake' cannot both be set."
    else b.seq _pkgs {
      inherit (c) flake autoStart restartIfChanged ephemeral enableTun copyResolvConf privateNetwork hostBridge
        hostAddress hostAddress6 localAddress localAddress6 localMacAddress interfaces macvlans timeoutStartSec
        additionalCapabilities tmpfs extraFlags;
      networkNamespace = if c.networkNamespace == null then null else toString c.networkNamespace;
      privateUsers = toString c.privateUsers;
      forwardPorts = map (p: { inherit (p) protocol hostPort containerPort; }) c.forwardPorts;
      bindMounts = map (n: let m = c.bindMounts.${n}; in { name = n; inherit (m) mountPoint hostPath isReadOnly; }) (b.attrNames c.bindMounts);
      allowedDevices = map (d: { inherit (d) node modifier; }) c.allowedDevices;
      extraVeths = b.mapAttrs (n: v: { inherit (v) hostBridge hostAddress hostAddress6 localAddress localAddress6; }) c.extraVeths;
      hasConfig = raw.configDefined;
      path = if raw.configDefined || c.flake != null then null else toString c.path;
      inherit system;
    };

  hostAssertions =
    concatMap (name: let c = hostConfig.containers.${name}; in [
      {
        assertion = !(c.networkNamespace != null && (c.privateNetwork || c.interfaces != [ ]));
        message = "containers.${name}.networkNamespace is mutally exclusive to containers.${name}.privateNetwork and containers.${name}.interfaces.";
      }
    ]) (b.attrNames hostConfig.containers);

  hostWarnings =
    lib.optional (hostConfig.containers != { } && !hostConfig.boot.enableContainers)
      "containers.<name> is used, but boot.enableContainers is false. To use containers.<name>, set boot.enableContainers to true.";

  hostResult =
    let
      cfg = hostConfig;
      containers = b.mapAttrs containerData cfg.containers;
      data = {
        hostName = cfg.networking.hostName;
        stateVersion = cfg.system.stateVersion;
        enableContainers = cfg.boot.enableContainers;
        inherit containers;
        config = sanitize (removeAttrs cfg [ "containers" "assertions" "warnings" ]);
        files = unique (map (m: m.file) hostEval.modules);
      };
      unique = lib.unique;
    in checkAssertions [ ] { assertions = cfg.assertions ++ hostAssertions; warnings = cfg.warnings ++ hostWarnings; } data;

  # ---------------------------------------------------------- entry (container)
  # Imperative containers: $root/etc/nixos/configuration.nix evaluated on its own.
  containerResult = {
    system = evalContainer { name = containerName; defs = [ { file = configuration; value = configuration; } ]; };
  };
in
if mode == "container" then containerResult else hostResult
