# The mini NixOS module system of the simulated fleet: option declarations,
# typed merging, mkIf/mkMerge/mkOverride/mkOrder, freeform option trees,
# submodules, and NixOS-shaped error messages (which always name the file of
# the offending definition). Structure and messages follow nixpkgs
# lib/modules.nix and lib/types.nix; see tests/hosts/README.md for the gaps.
{ lib }:
let
  b = builtins;
  inherit (lib) concatMap showOption isDerivation mapAttrs filterAttrs unique;

  isType = t: v: b.isAttrs v && (v._type or null) == t;
  isOptionDecl = isType "option";

  # nixpkgs lib/options.nix showDefs (5 lines max per value)
  showDefs = defs: lib.concatMapStrings (def:
    let
      pe = b.tryEval (lib.pretty "" def.value);
      lines = b.filter (v: !b.isList v) (b.split "\n" pe.value);
      value = b.concatStringsSep "\n    " (lib.take 5 lines ++ lib.optional (b.length lines > 5) "...");
      result = if !pe.success then "" else if b.length lines > 1 then ":\n    " + value else ": " + value;
    in "\n- In `${def.file}'${result}") defs;
  showFiles = files: b.concatStringsSep " and " (map (f: "`${f}'") files);

  # lib.modules.dischargeProperties (mkIf conditions are evaluated here)
  discharge = def:
    if isType "merge" def then concatMap discharge def.contents
    else if isType "if" def then
      (if b.isBool def.condition then (if def.condition then discharge def.content else [ ])
       else b.throw "mkIf called with a non-Boolean condition")
    else [ def ];

  # lib.modules.pushDownProperties
  pushDown = cfg:
    if isType "merge" cfg then concatMap pushDown cfg.contents
    else if isType "if" cfg then map (mapAttrs (n: v: lib.mkIf cfg.condition v)) (pushDown cfg.content)
    else if isType "override" cfg then map (mapAttrs (n: v: lib.mkOverride cfg.priority v)) (pushDown cfg.content)
    else [ cfg ];

  defaultPrio = 100;
  getPrio = def: if isType "override" def.value then def.value.priority else defaultPrio;
  filterOverrides = defs:
    let
      highest = b.foldl' (p: d: lib.min p (getPrio d)) 9999 defs;
      kept = b.filter (d: getPrio d == highest) defs;
      strip = d: if isType "override" d.value then map (v: d // { value = v; }) (discharge d.value.content) else [ d ];
    in concatMap strip kept;
  sortProperties = defs:
    let
      strip = d: if isType "order" d.value then d // { value = d.value.content; } else d;
      prio = d: if isType "order" d.value then d.value.priority else lib.defaultOrderPriority;
      indexed = lib.imap0 (i: d: { inherit i d; p = prio d; }) defs;
      sorted = b.sort (x: y: if x.p == y.p then x.i < y.i else x.p < y.p) indexed;
    in map (x: strip x.d) sorted;

  # discharge + filterOverrides + sortProperties of the definitions of one option
  effectiveDefs = defs:
    let expanded = concatMap (d: map (v: { inherit (d) file; value = v; }) (discharge d.value)) defs;
    in sortProperties (filterOverrides expanded);

  undefinedValue = { _type = "sim-undefined"; };

  conflictMsg = loc: first: def:
    "The option `${showOption loc}' has conflicting definition values:${showDefs [ first def ]}\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.";

  mergeEqualOption = loc: defs:
    let first = b.head defs; in
    b.foldl' (acc: def: if def.value != first.value then b.throw (conflictMsg loc first def) else acc) first.value (b.tail defs);

  mergeOneOption = loc: defs:
    if b.length defs == 1 then (b.head defs).value
    else b.throw "The unique option `${showOption loc}' is defined multiple times. Definition values:${showDefs defs}";

  mergeDefaultOption = loc: defs:
    let list = map (d: d.value) defs; in
    if b.length list == 1 then b.head list
    else if b.all b.isFunction list then x: mergeDefaultOption loc (map (d: d // { value = d.value x; }) defs)
    else if b.all b.isList list then b.concatLists list
    else if b.all b.isAttrs list then b.foldl' lib.recursiveUpdate { } list
    else if b.all b.isBool list then b.any lib.id list
    else if b.all b.isString list then b.concatStringsSep "\n" list
    else b.throw "Cannot merge definitions of `${showOption loc}'. Definition values:${showDefs defs}";

  # Value shape test that looks through mkIf/mkOverride/mkMerge without
  # evaluating conditions (so option trees stay lazy, as in NixOS).
  attrsLike = v:
    if !(b.isAttrs v) then false
    else if v ? _type then
      (if v._type == "if" || v._type == "override" then attrsLike v.content
       else if v._type == "merge" then v.contents != [ ] && b.all attrsLike v.contents
       else false)
    else !(isDerivation v);

  leafMerge = loc: defs:
    let vals = effectiveDefs defs; in
    if vals == [ ] then undefinedValue
    else if b.all (d: b.isList d.value) vals then b.concatLists (map (d: d.value) vals)
    else if b.all (d: b.isFunction d.value) vals then (lib.last vals).value
    else if b.all (d: isDerivation d.value) vals then
      (let first = b.head vals; in b.foldl' (acc: d: if d.value.outPath != first.value.outPath then b.throw (conflictMsg loc first d) else acc) first.value (b.tail vals))
    else mergeEqualOption loc vals;

  freeformMerge = loc: defs:
    if defs != [ ] && b.all (d: attrsLike d.value) defs
    then evalTree { inherit loc; opts = { }; freeform = true; inherit defs; }
    else leafMerge loc defs;

  # Merge the definitions of one declared option (lib.modules.mergeDefinitions)
  mergeOption = loc: decl: defs:
    let
      type = decl.type or types.unspecified;
      vals = effectiveDefs defs;
      bad = b.filter (d: !(type.check d.value)) vals;
      merged =
        if decl ? _simRemoved && defs != [ ] then b.throw (decl._simRemoved (unique (map (d: d.file) defs)))
        else if vals != [ ] then
          (if bad != [ ] then b.throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs bad}"
           else type.merge loc vals)
        else if decl ? default then type.merge loc [ { file = "<default>"; value = decl.default; } ]
        else b.throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";
    in if decl ? apply then decl.apply merged else merged;

  isDefinedDefs = defs: effectiveDefs defs != [ ];

  # Evaluate an option tree (declared options + optional freeform rest).
  evalTree = { loc, opts, freeform, defs }:
    let
      nonAttrs = b.filter (d: !(b.isAttrs d.value)) defs;
      pushed = concatMap (d: map (v: { inherit (d) file; value = v; }) (pushDown d.value)) defs;
      names = lib.unique (concatMap (d: b.attrNames d.value) pushed);
      defsFor = n: map (d: { inherit (d) file; value = d.value.${n}; }) (b.filter (d: d.value ? ${n}) pushed);
      valueFor = n:
        if opts ? ${n} then
          (if isOptionDecl opts.${n} then mergeOption (loc ++ [ n ]) opts.${n} (defsFor n)
           else evalTree { loc = loc ++ [ n ]; opts = opts.${n}; inherit freeform; defs = defsFor n; })
        else freeformMerge (loc ++ [ n ]) (defsFor n);
      declared = b.attrNames opts;
      unmatched = b.filter (n: !(opts ? ${n})) names;
      firstBad = b.head unmatched;
      allNames = if freeform then unique (declared ++ names) else declared;
      result = b.listToAttrs (map (n: { name = n; value = valueFor n; }) allNames);
    in
    if nonAttrs != [ ] then b.throw "A definition for option `${showOption loc}' is not of type `attribute set'. Definition values:${showDefs nonAttrs}"
    else if !freeform && unmatched != [ ] then
      b.throw "The option `${showOption (loc ++ [ firstBad ])}' does not exist. Definition values:${showDefs (defsFor firstBad)}"
    else result;

  # Submodule evaluation: defs are modules (attrset, function or path).
  evalSubmodule = { loc, options, extraDefs ? (name: [ ]), args ? { } }: defs:
    let
      name = lib.last loc;
      opts = if b.isFunction options then options { inherit name; config = result; } else options;
      allArgs = args // { inherit name lib; config = result; options = opts; };
      load = d:
        let
          v0 = if b.isPath d.value || b.isString d.value then import d.value else d.value;
          v = if b.isFunction v0 then v0 (b.intersectAttrs (b.functionArgs v0) allArgs) else v0;
          # submodule definitions are shorthand-only (shorthandOnlyDefinesConfig): `config` is an option name here
          cfg = if b.isAttrs v then removeAttrs v [ "_file" "key" "imports" "meta" ] else v;
        in { file = if b.isAttrs v then v._file or d.file else d.file; value = cfg; };
      result = evalTree { inherit loc opts; freeform = false; defs = extraDefs name ++ map load defs; };
    in result;

  mkOptionType = { name, description ? name, descriptionClass ? null, check ? (x: true), merge ? mergeDefaultOption, ... }@attrs:
    attrs // { _type = "option-type"; inherit name description descriptionClass check merge; };

  phrase = t: if t.descriptionClass == "noun" || t.descriptionClass == "conjunction" then t.description else "(${t.description})";

  intBetween = lo: hi: bits: mkOptionType {
    name = "unsignedInt${toString bits}";
    description = "${toString bits} bit unsigned integer; between ${toString lo} and ${toString hi} (both inclusive)";
    descriptionClass = "noun";
    check = x: b.isInt x && x >= lo && x <= hi;
    merge = mergeEqualOption;
  };

  types = rec {
    inherit mkOptionType;
    isType = t: v: isType t v;
    unspecified = mkOptionType { name = "unspecified"; description = "unspecified value"; descriptionClass = "noun"; };
    raw = mkOptionType { name = "raw"; description = "raw value"; descriptionClass = "noun"; merge = mergeOneOption; };
    anything = mkOptionType { name = "anything"; description = "anything"; descriptionClass = "noun"; merge = loc: defs: freeformMerge loc defs; };
    bool = mkOptionType { name = "bool"; description = "boolean"; descriptionClass = "noun"; check = b.isBool; merge = mergeEqualOption; };
    int = mkOptionType { name = "int"; description = "signed integer"; descriptionClass = "noun"; check = b.isInt; merge = mergeEqualOption; };
    float = mkOptionType { name = "float"; description = "floating point number"; descriptionClass = "noun"; check = b.isFloat; merge = mergeEqualOption; };
    number = either int float;
    ints = rec {
      between = lo: hi: mkOptionType { name = "intBetween"; description = "integer between ${toString lo} and ${toString hi} (both inclusive)"; descriptionClass = "noun"; check = x: b.isInt x && x >= lo && x <= hi; merge = mergeEqualOption; };
      u8 = intBetween 0 255 8; u16 = intBetween 0 65535 16; u32 = intBetween 0 4294967295 32;
      unsigned = mkOptionType { name = "unsignedInt"; description = "unsigned integer, meaning >=0"; descriptionClass = "noun"; check = x: b.isInt x && x >= 0; merge = mergeEqualOption; };
      positive = mkOptionType { name = "positiveInt"; description = "positive integer, meaning >0"; descriptionClass = "noun"; check = x: b.isInt x && x > 0; merge = mergeEqualOption; };
    };
    port = ints.u16;
    str = mkOptionType { name = "str"; description = "string"; descriptionClass = "noun"; check = b.isString; merge = mergeEqualOption; };
    nonEmptyStr = mkOptionType { name = "nonEmptyStr"; description = "non-empty string"; descriptionClass = "noun"; check = x: b.isString x && b.match "[ \t\n]*" x == null; merge = mergeEqualOption; };
    singleLineStr = mkOptionType { name = "singleLineStr"; description = "(optionally newline-terminated) single-line string"; descriptionClass = "noun"; check = x: b.isString x && b.match "[^\n]*\n?" x != null; merge = mergeEqualOption; };
    strMatching = pattern: mkOptionType { name = "strMatching ${b.toJSON pattern}"; description = "string matching the pattern ${pattern}"; descriptionClass = "noun"; check = x: b.isString x && b.match pattern x != null; merge = mergeEqualOption; };
    separatedString = sep: mkOptionType { name = "separatedString"; description = if sep == "" then "Concatenated string" else "strings concatenated with ${b.toJSON sep}"; descriptionClass = "noun"; check = b.isString; merge = loc: defs: b.concatStringsSep sep (map (d: d.value) defs); };
    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";
    string = separatedString "";
    path = mkOptionType { name = "path"; description = "path"; descriptionClass = "noun"; check = x: lib.isStringLike x && b.substring 0 1 (toString x) == "/"; merge = mergeEqualOption; };
    pathInStore = path;
    package = mkOptionType { name = "package"; description = "package"; descriptionClass = "noun"; check = x: isDerivation x || lib.isStringLike x; merge = mergeOneOption; };
    attrs = mkOptionType { name = "attrs"; description = "attribute set"; descriptionClass = "noun"; check = b.isAttrs; merge = loc: defs: b.foldl' (a: d: a // d.value) { } defs; };
    enum = values: mkOptionType {
      name = "enum";
      description = if values == [ ] then "impossible (empty enum)" else if b.length values == 1 then "value ${b.toJSON (b.head values)} (singular enum)" else "one of ${b.concatStringsSep ", " (map b.toJSON values)}";
      descriptionClass = if b.length values < 2 then "noun" else "conjunction";
      check = x: b.elem x values; merge = mergeEqualOption;
    };
    nullOr = t: mkOptionType {
      name = "nullOr"; description = "null or ${phrase t}"; descriptionClass = "conjunction";
      check = x: x == null || t.check x;
      merge = loc: defs:
        let nulls = b.filter (d: d.value == null) defs; in
        if nulls == defs then null
        else if nulls != [ ] then b.throw "The option `${showOption loc}' is defined both null and not null, in ${showFiles (lib.unique (map (d: d.file) defs))}."
        else t.merge loc defs;
    };
    either = t1: t2: mkOptionType {
      name = "either"; description = "${phrase t1} or ${phrase t2}"; descriptionClass = "conjunction";
      check = x: t1.check x || t2.check x;
      merge = loc: defs:
        if b.all (d: t1.check d.value) defs then t1.merge loc defs
        else if b.all (d: t2.check d.value) defs then t2.merge loc defs
        else mergeOneOption loc defs;
    };
    oneOf = ts: b.foldl' either (b.head ts) (b.tail ts);
    listOf = t: mkOptionType {
      name = "listOf"; description = "list of ${phrase t}"; descriptionClass = "composite";
      check = b.isList;
      merge = loc: defs:
        map (x: x.value) (b.filter (x: x ? value) (b.concatLists (lib.imap1 (n: d:
          lib.imap1 (m: v:
            let l = loc ++ [ "[definition ${toString n}-entry ${toString m}]" ]; es = effectiveDefs [ { inherit (d) file; value = v; } ]; in
            if es == [ ] then { } else { value = mergeOption l { type = t; } es; }) d.value) defs)));
    };
    nonEmptyListOf = listOf;
    attrsOf = t: mkOptionType {
      name = "attrsOf"; description = "attribute set of ${phrase t}"; descriptionClass = "composite";
      check = b.isAttrs;
      merge = loc: defs:
        let
          names = lib.unique (concatMap (d: b.attrNames d.value) defs);
          defsFor = n: map (d: { inherit (d) file; value = d.value.${n}; }) (b.filter (d: d.value ? ${n}) defs);
          live = b.filter (n: isDefinedDefs (defsFor n)) names;
        in b.listToAttrs (map (n: { name = n; value = mergeOption (loc ++ [ n ]) { type = t; } (defsFor n); }) live);
    };
    lazyAttrsOf = attrsOf;
    functionTo = t: mkOptionType { name = "functionTo"; description = "function that evaluates to a(n) ${phrase t}"; descriptionClass = "composite"; check = b.isFunction; merge = loc: defs: x: t.merge loc (map (d: d // { value = d.value x; }) defs); };
    submoduleWith = { modules ? [ ], options ? { }, extraDefs ? (name: [ ]), args ? { }, ... }: mkOptionType {
      name = "submodule"; description = "submodule"; descriptionClass = "noun";
      check = x: b.isAttrs x || b.isFunction x || b.isPath x;
      merge = loc: defs: evalSubmodule { inherit loc options extraDefs args; } (defs ++ map (m: { file = "<submodule>"; value = m; }) modules);
    };
    submodule = m:
      if b.isAttrs m && m ? options then submoduleWith { options = m.options; }
      else if b.isFunction m then submoduleWith { options = a: (m a).options or { }; }
      else submoduleWith { };
    addCheck = t: c: t // { check = x: t.check x && c x; };
    uniq = t: t // { merge = mergeOneOption; };
    unique = { message ? "" }: t: uniq t;
    coercedTo = from: f: to: mkOptionType { name = "coercedTo"; description = "${phrase to} or ${phrase from} convertible to it"; check = x: from.check x || to.check x; merge = loc: defs: to.merge loc (map (d: d // { value = if from.check d.value && !(to.check d.value) then f d.value else d.value; }) defs); };
    attrsWith = { elemType, ... }: attrsOf elemType;
  };
in
{
  inherit types evalTree evalSubmodule mergeOption freeformMerge effectiveDefs isDefinedDefs showDefs showFiles pushDown discharge undefinedValue isOptionDecl;
}
