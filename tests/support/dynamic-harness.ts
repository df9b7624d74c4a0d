/**
 * Drives the real dynamic-provider plugin of @pulumi/pulumi over gRPC, the
 * way the Pulumi engine does (reference dynamic-provider-harness.md): the
 * plugin process, a serialized `__provider`, Configure, then the CRUD calls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../../sdk/provider";

const ROOT = join(__dirname, "..", "..");
const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
const req = (m: string) => require(require.resolve(m, { paths: [pulumiDir] }));
const grpc = req("@grpc/grpc-js");
const { Struct } = req("google-protobuf/google/protobuf/struct_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const plugproto = require("@pulumi/pulumi/proto/plugin_pb");

type Props = Record<string, unknown>;
const TYPE = "pulumi-nodejs:dynamic/nixos:NixosContainer";

/** A project directory where the plugin resolves the package by name, as in a user's project. */
export function makeProjectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nixos-containers-project-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "pulumi-nixos-containers"));
  symlinkSync(join(ROOT, "node_modules", "@pulumi"), join(dir, "node_modules", "@pulumi"));
  return dir;
}

let serialized: Promise<string> | undefined;
function serializedProvider(): Promise<string> {
  const provider = providerFor("NixosContainer");
  serialized ??= pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((f) => f.text);
  return serialized;
}

export class DynamicProviderHarness {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly client: any,
    readonly providerText: string,
    readonly stderr: string[],
  ) {}

  static async start(options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DynamicProviderHarness> {
    const cwd = options.cwd ?? makeProjectDir();
    const text = await serializedProvider();
    const proc = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js"), "127.0.0.1:1"], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PULUMI_NODEJS_PROJECT: "test", PULUMI_PROJECT: "test", ...options.env },
    });
    const stderr: string[] = [];
    createInterface({ input: proc.stderr! }).on("line", (l) => stderr.push(l));
    const port = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: proc.stdout! });
      lines.once("line", resolve);
      proc.once("exit", (code) => reject(new Error(`dynamic provider exited with ${code}: ${stderr.join("\n")}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
    const harness = new DynamicProviderHarness(proc, client, text, stderr);
    const configure = new provproto.ConfigureRequest();
    configure.setArgs(Struct.fromJavaScript({}));
    configure.setAcceptsecrets(true);
    configure.setAcceptresources(true);
    await harness.call("configure", configure);
    return harness;
  }

  private call(method: string, request: unknown): Promise<any> {
    return new Promise((resolve, reject) => this.client[method](request, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
  }

  /** A request about resource `name`, addressed as the engine addresses it. */
  private request(Request: new () => any, name: string): any {
    const r = new Request();
    r.setUrn(`urn:pulumi:test::test::${TYPE}::${name}`);
    r.setName(name);
    r.setType(TYPE);
    return r;
  }

  private withProvider(props: Props): Props {
    return { ...props, __provider: this.providerText };
  }

  async check(name: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const r = this.request(provproto.CheckRequest, name);
    r.setOlds(Struct.fromJavaScript(olds));
    r.setNews(Struct.fromJavaScript(this.withProvider(news)));
    const resp = await this.call("check", r);
    return {
      inputs: resp.getInputs()?.toJavaScript() ?? {},
      failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(name: string, id: string, olds: Props, oldInputs: Props, news: Props): Promise<{ changes: number; replaces: string[]; deleteBeforeReplace: boolean }> {
    const r = this.request(provproto.DiffRequest, name);
    r.setId(id);
    r.setOlds(Struct.fromJavaScript(olds));
    r.setOldInputs(Struct.fromJavaScript(oldInputs));
    r.setNews(Struct.fromJavaScript(news));
    const resp = await this.call("diff", r);
    return { changes: resp.getChanges(), replaces: resp.getReplacesList(), deleteBeforeReplace: resp.getDeletebeforereplace() };
  }

  async create(name: string, inputs: Props): Promise<{ id: string; properties: Props }> {
    const r = this.request(provproto.CreateRequest, name);
    r.setProperties(Struct.fromJavaScript(inputs));
    const resp = await this.call("create", r);
    return { id: resp.getId(), properties: resp.getProperties().toJavaScript() };
  }

  async read(name: string, id: string, props: Props, inputs: Props): Promise<{ id: string; properties: Props; inputs: Props | undefined }> {
    const r = this.request(provproto.ReadRequest, name);
    r.setId(id);
    r.setProperties(Struct.fromJavaScript(props));
    r.setInputs(Struct.fromJavaScript(inputs));
    const resp = await this.call("read", r);
    return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {}, inputs: resp.getInputs()?.toJavaScript() };
  }

  async update(name: string, id: string, olds: Props, oldInputs: Props, news: Props): Promise<Props> {
    const r = this.request(provproto.UpdateRequest, name);
    r.setId(id);
    r.setOlds(Struct.fromJavaScript(olds));
    r.setOldInputs(Struct.fromJavaScript(oldInputs));
    r.setNews(Struct.fromJavaScript(news));
    const resp = await this.call("update", r);
    return resp.getProperties().toJavaScript();
  }

  async delete(name: string, id: string, props: Props, oldInputs: Props): Promise<void> {
    const r = this.request(provproto.DeleteRequest, name);
    r.setId(id);
    r.setProperties(Struct.fromJavaScript(props));
    r.setOldInputs(Struct.fromJavaScript(oldInputs));
    await this.call("delete", r);
  }

  async pluginInfo(): Promise<string> {
    const resp = await this.call("getPluginInfo", new (req("google-protobuf/google/protobuf/empty_pb").Empty)());
    return resp.getVersion();
  }

  async stop(): Promise<void> {
    this.client.close();
    this.proc.kill("SIGTERM");
    await new Promise((r) => (this.proc.exitCode !== null ? r(undefined) : this.proc.once("exit", r)));
  }
}

export { plugproto };
