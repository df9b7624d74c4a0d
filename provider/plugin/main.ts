/**
 * `pulumi-resource-nixos`: the provider plugin's entry point. The engine starts it with its own
 * address as an argument; @pulumi/pulumi's provider server answers on a port it prints.
 */
import { dirname } from "node:path";

if (Number(process.versions.node.split(".")[0]) < 20) {
  process.stderr.write(`pulumi-resource-nixos: needs Node.js 20 or later; this is ${process.version}\n`);
  process.exit(1);
}

import { main } from "@pulumi/pulumi/provider";
import { pluginProvider } from "./provider";

// `pulumi import` sends Read an id and no properties; @pulumi/pulumi 3.248's provider server
// then fails reading them (`Cannot read properties of undefined (reading 'toJavaScript')`).
// An absent message field is an empty one in protobuf, so read it as such.
// (Struct from the google-protobuf the provider server itself uses.)
const { ReadRequest } = require("@pulumi/pulumi/proto/provider_pb");
const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));
const properties = ReadRequest.prototype.getProperties;
ReadRequest.prototype.getProperties = function (this: unknown) {
  return properties.call(this) ?? new Struct();
};

main(pluginProvider(), process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`pulumi-resource-nixos: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
