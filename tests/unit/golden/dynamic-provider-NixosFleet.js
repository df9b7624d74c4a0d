exports.handler = __f0;

var __provider = {check: __f1, diff: __f2, create: __f3, read: __f4, update: __f5, delete: __f6};

function __f1() {
  return (function() {
    with({ kind: "NixosFleet", op: "check", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f2() {
  return (function() {
    with({ kind: "NixosFleet", op: "diff", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f3() {
  return (function() {
    with({ kind: "NixosFleet", op: "create", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f4() {
  return (function() {
    with({ kind: "NixosFleet", op: "read", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f5() {
  return (function() {
    with({ kind: "NixosFleet", op: "update", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f6() {
  return (function() {
    with({ kind: "NixosFleet", op: "delete", this: undefined, arguments: undefined }) {

return (...args) => require("pulumi-nixos-containers/provider").fronts[kind][op](...args);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f0() {
  return (function() {
    with({ provider: __provider, this: undefined, arguments: undefined }) {

return () => provider;

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
