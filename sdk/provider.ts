/**
 * The one provider object every NixosContainer shares. Pulumi serializes it
 * into each resource's state (reference pulumi.md 1.4), so it holds nothing:
 * each method loads the implementation by package name inside the provider
 * process. The serialized text therefore never changes between versions
 * (no spurious diffs) and captures no secret and no socket.
 */
import type * as pulumi from "@pulumi/pulumi";

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-nixos-containers/provider").check(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-nixos-containers/provider").diff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-nixos-containers/provider").create(inputs);
  },
  async read(id, props) {
    return require("pulumi-nixos-containers/provider").read(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-nixos-containers/provider").update(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-nixos-containers/provider").remove(id, props);
  },
};

/** The same, for NixosHost: the host's lifecycle functions of the same implementation. */
export const hostProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return require("pulumi-nixos-containers/provider").hostCheck(olds, news);
  },
  async diff(id, olds, news) {
    return require("pulumi-nixos-containers/provider").hostDiff(id, olds, news);
  },
  async create(inputs) {
    return require("pulumi-nixos-containers/provider").hostCreate(inputs);
  },
  async read(id, props) {
    return require("pulumi-nixos-containers/provider").hostRead(id, props);
  },
  async update(id, olds, news) {
    return require("pulumi-nixos-containers/provider").hostUpdate(id, olds, news);
  },
  async delete(id, props) {
    return require("pulumi-nixos-containers/provider").hostRemove(id, props);
  },
};
