# A small subset of nixpkgs `lib`, enough for NixOS-style modules evaluated by
# the simulated fleet (tests/hosts). Semantics follow nixpkgs lib where named
# alike; anything missing fails with Nix's usual "attribute missing" error.
let
  b = builtins;

  lib = rec {
    inherit (b) attrNames attrValues hasAttr getAttr head tail length elem elemAt filter
      map listToAttrs isAttrs isList isString isBool isInt isFloat isFunction isPath
      concatLists genList stringLength substring replaceStrings toJSON fromJSON
      readFile pathExists baseNameOf dirOf match split trace seq deepSeq typeOf
      intersectAttrs removeAttrs functionArgs catAttrs sort lessThan add sub toString
      compareVersions splitVersion hashString tryEval foldl' throw abort;

    # --- trivial
    id = x: x;
    const = x: _: x;
    flip = f: a: c: f c a;
    pipe = x: fs: b.foldl' (acc: f: f acc) x fs;
    boolToString = x: if x then "true" else "false";
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    mod = base: int: base - (int * (base / int));
    warn = msg: v: b.trace "warning: ${msg}" v;
    warnIf = c: msg: v: if c then warn msg v else v;
    throwIf = c: msg: v: if c then b.throw msg else v;
    throwIfNot = c: msg: v: if c then v else b.throw msg;
    isDerivation = v: b.isAttrs v && (v.type or null) == "derivation";
    isStringLike = v: b.isString v || b.isPath v || (b.isAttrs v && (v ? outPath || v ? __toString));
    versionAtLeast = v1: v2: b.compareVersions v1 v2 >= 0;
    versionOlder = v1: v2: b.compareVersions v2 v1 > 0;
    mdDoc = x: x;
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    literalMD = text: { _type = "literalMD"; inherit text; };
    literalExample = literalExpression;
    fileContents = f: removeSuffix "\n" (b.readFile f);

    # --- lists
    optional = c: x: if c then [ x ] else [ ];
    optionals = c: xs: if c then xs else [ ];
    concatMap = f: xs: b.concatLists (b.map f xs);
    flatten = x: if b.isList x then concatMap flatten x else [ x ];
    foldr = op: nul: list: let len = b.length list; fold' = n: if n == len then nul else op (b.elemAt list n) (fold' (n + 1)); in fold' 0;
    foldl = op: nul: list: b.foldl' op nul list;
    last = list: b.elemAt list (b.length list - 1);
    init = list: b.genList (n: b.elemAt list n) (b.length list - 1);
    range = first: last: if first > last then [ ] else b.genList (n: first + n) (last - first + 1);
    unique = b.foldl' (acc: e: if b.elem e acc then acc else acc ++ [ e ]) [ ];
    any = b.any; all = b.all;
    count = pred: b.foldl' (c: x: if pred x then c + 1 else c) 0;
    imap0 = f: list: b.genList (n: f n (b.elemAt list n)) (b.length list);
    imap1 = f: list: b.genList (n: f (n + 1) (b.elemAt list n)) (b.length list);
    reverseList = xs: let l = b.length xs; in b.genList (n: b.elemAt xs (l - n - 1)) l;
    take = count: list: b.genList (n: b.elemAt list n) (min count (b.length list));
    drop = count: list: let l = b.length list; in if count >= l then [ ] else b.genList (n: b.elemAt list (n + count)) (l - count);
    findFirst = pred: default: list: let found = b.filter pred list; in if found == [ ] then default else b.head found;
    partition = b.partition;
    groupBy = b.groupBy or (f: l: b.foldl' (acc: x: let k = f x; in acc // { ${k} = (acc.${k} or [ ]) ++ [ x ]; }) { } l);
    toList = x: if b.isList x then x else [ x ];
    naturalSort = b.sort b.lessThan;
    sortOn = f: b.sort (a: c: f a < f c);
    subtractLists = e: b.filter (x: !(b.elem x e));
    intersectLists = e: b.filter (x: b.elem x e);
    zipListsWith = f: fst: snd: b.genList (n: f (b.elemAt fst n) (b.elemAt snd n)) (min (b.length fst) (b.length snd));

    # --- strings
    concatStrings = b.concatStringsSep "";
    concatStringsSep = b.concatStringsSep;
    concatMapStrings = f: list: concatStrings (b.map f list);
    concatMapStringsSep = sep: f: list: b.concatStringsSep sep (b.map f list);
    concatLines = list: concatStrings (b.map (s: s + "\n") list);
    optionalString = c: s: if c then s else "";
    hasPrefix = pref: str: b.substring 0 (b.stringLength pref) str == pref;
    hasSuffix = suffix: content: let lenC = b.stringLength content; lenS = b.stringLength suffix; in lenC >= lenS && b.substring (lenC - lenS) lenC content == suffix;
    hasInfix = infix: content: b.match ".*${escapeRegex infix}.*" content != null;
    removePrefix = pref: str: if hasPrefix pref str then b.substring (b.stringLength pref) (b.stringLength str) str else str;
    removeSuffix = suf: str: if hasSuffix suf str then b.substring 0 (b.stringLength str - b.stringLength suf) str else str;
    splitString = sep: s: b.filter b.isString (b.split (escapeRegex sep) s);
    escapeRegex = b.replaceStrings [ "\\" "[" "]" "{" "}" "(" ")" "." "*" "+" "?" "^" "$" "|" ] [ "\\\\" "\\[" "\\]" "\\{" "\\}" "\\(" "\\)" "\\." "\\*" "\\+" "\\?" "\\^" "\\$" "\\|" ];
    toUpper = b.replaceStrings (stringToCharacters "abcdefghijklmnopqrstuvwxyz") (stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    toLower = b.replaceStrings (stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ") (stringToCharacters "abcdefghijklmnopqrstuvwxyz");
    stringToCharacters = s: b.genList (p: b.substring p 1 s) (b.stringLength s);
    escapeShellArg = arg: "'${b.replaceStrings [ "'" ] [ "'\\''" ] (b.toString arg)}'";
    escapeShellArgs = concatMapStringsSep " " escapeShellArg;
    escapeNixString = s: b.toJSON s;
    strings = { inherit concatStringsSep hasPrefix hasSuffix removePrefix removeSuffix splitString toUpper toLower escapeShellArg optionalString concatMapStringsSep; };
    trim = s: let m = b.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in if m == null then "" else b.head m;
    fixedWidthString = width: filler: str: let strw = b.stringLength str; in if strw >= width then str else fixedWidthString width filler (filler + str);
    fixedWidthNumber = width: n: fixedWidthString width "0" (b.toString n);

    # --- attrsets
    mapAttrs = b.mapAttrs;
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: b.listToAttrs (b.map (attr: f attr set.${attr}) (b.attrNames set));
    mapAttrsToList = f: attrs: b.map (name: f name attrs.${name}) (b.attrNames attrs);
    attrsToList = mapAttrsToList nameValuePair;
    filterAttrs = pred: set: b.listToAttrs (concatMap (name: let v = set.${name}; in if pred name v then [ (nameValuePair name v) ] else [ ]) (b.attrNames set));
    genAttrs = names: f: b.listToAttrs (b.map (n: nameValuePair n (f n)) names);
    optionalAttrs = c: as: if c then as else { };
    recursiveUpdateUntil = pred: lhs: rhs:
      let f = attrPath: b.zipAttrsWith (n: values: let here = attrPath ++ [ n ]; in
        if b.length values == 1 || pred here (b.elemAt values 1) (b.head values) then b.head values else f here values);
      in f [ ] [ rhs lhs ];
    recursiveUpdate = recursiveUpdateUntil (path: lhs: rhs: !(b.isAttrs lhs && b.isAttrs rhs));
    attrByPath = attrPath: default: e: let attr = b.head attrPath; in
      if attrPath == [ ] then e else if e ? ${attr} then attrByPath (b.tail attrPath) default e.${attr} else default;
    hasAttrByPath = attrPath: e: let attr = b.head attrPath; in
      if attrPath == [ ] then true else if e ? ${attr} then hasAttrByPath (b.tail attrPath) e.${attr} else false;
    setAttrByPath = attrPath: value: if attrPath == [ ] then value else { ${b.head attrPath} = setAttrByPath (b.tail attrPath) value; };
    getAttrFromPath = attrPath: set: attrByPath attrPath (b.throw "cannot find attribute `${b.concatStringsSep "." attrPath}'") set;
    zipAttrsWith = b.zipAttrsWith;
    zipAttrs = b.zipAttrsWith (n: v: v);
    foldAttrs = op: nul: list_of_attrs: b.foldl' (a: n: b.foldl' (a': name: a' // { ${name} = op n.${name} (a.${name} or nul); }) a (b.attrNames n)) { } (reverseList list_of_attrs);
    attrVals = nameList: set: b.map (x: set.${x}) nameList;
    getAttrs = names: attrs: genAttrs names (name: attrs.${name});
    collect = pred: attrs: if pred attrs then [ attrs ] else if b.isAttrs attrs then concatMap (collect pred) (b.attrValues attrs) else [ ];
    recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
    attrsets = { inherit mapAttrs mapAttrs' mapAttrsToList filterAttrs genAttrs optionalAttrs recursiveUpdate attrByPath setAttrByPath nameValuePair; };
    lists = { inherit optional optionals concatMap flatten foldl foldr last unique range take drop findFirst toList; };
    trivial = { inherit id const flip boolToString warn; };

    # --- module system properties (same encoding as nixpkgs lib/modules.nix)
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
    mkOrder = priority: content: { _type = "order"; inherit priority content; };
    mkBefore = mkOrder 500;
    mkAfter = mkOrder 1500;
    defaultOrderPriority = 1000;
    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption { default = false; example = true; description = "Whether to enable ${name}."; type = types.bool; };
    mkPackageOption = pkgs: name: extra: mkOption { type = types.package; default = pkgs.${if b.isList name then b.concatStringsSep "." name else name} or null; };
    mkSinkUndeclaredOptions = attrs: mkOption ({ internal = true; visible = false; default = false; type = types.unspecified; } // attrs);
    mkAliasDefinitions = option: option.value or { };
    showOption = loc: b.concatStringsSep "." loc;

    # nixpkgs' generators.toPretty, simplified (used for "Definition values:")
    generators.toPretty = { multiline ? true }: v: pretty "" v;
    pretty = ind: v:
      if b.isString v then b.toJSON v
      else if b.isBool v then boolToString v
      else if v == null then "null"
      else if b.isInt v || b.isFloat v then b.toString v
      else if b.isPath v then b.toString v
      else if b.isFunction v then "<function>"
      else if b.isList v then (if v == [ ] then "[ ]" else "[\n" + concatMapStrings (x: "${ind}  ${pretty "${ind}  " x}\n") v + "${ind}]")
      else if isDerivation v then "<derivation ${v.name or "?"}>"
      else if b.isAttrs v then (if v == { } then "{ }" else "{\n" + concatMapStrings (n: "${ind}  ${n} = ${pretty "${ind}  " v.${n}};\n") (b.attrNames v) + "${ind}}")
      else "<${b.typeOf v}>";

    types = (import ./modules.nix { inherit lib; }).types;
  };
in
lib
