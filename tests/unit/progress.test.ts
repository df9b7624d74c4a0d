/**
 * Where progress goes: the summary line of a host, the dynamic front's routing
 * (live status on every row of a round, kept lines on one row), and the Log RPC
 * as a real gRPC Engine service receives it.
 */
import { dirname } from "node:path";
import { HostSummary, newTally } from "../../provider/deploy/summary";
import type { ContainerChange } from "../../provider/deploy/change";
import { EngineLog, engineAddress, type LogSink, type Severity } from "../../provider/process/engine-log";
import { EngineProgress, verbosityFrom } from "../../provider/process/engine-progress";

const change = (name: string, kind: ContainerChange["kind"]): ContainerChange => ({ name, kind, rebuildAction: "switch", updateStrategy: "reload", rebuildTimeoutSeconds: 60 });

describe("the summary line of a host", () => {
  it("counts the containers the round did not touch as unchanged", () => {
    const s = new HostSummary();
    s.add({ rebuilds: 1, rebuildMs: 4210, managedBefore: 10 }, [
      { change: change("a", "update"), ok: true, retrying: false },
      { change: change("b", "update"), ok: true, retrying: false },
    ]);
    expect(s.line("host1")).toBe("host1: 1 rebuild (switch) in 4.2 s, 10 containers: 8 unchanged, 2 updated");
  });

  it("adds up a retry of one container on its own, counting the container once", () => {
    const s = new HostSummary();
    s.add({ rebuilds: 1, rebuildMs: 1000, managedBefore: 1 }, [
      { change: change("a", "create"), ok: false, retrying: true },
      { change: change("b", "update"), ok: false, retrying: true },
    ]);
    s.add({ rebuilds: 1, rebuildMs: 500, managedBefore: 2 }, [{ change: change("a", "create"), ok: false, retrying: false }]);
    s.add({ rebuilds: 1, rebuildMs: 500, managedBefore: 2 }, [{ change: change("b", "update"), ok: true, retrying: false }]);
    expect(s.line("h")).toBe("h: 3 rebuilds (switch) in 2.0 s, 2 containers: 1 updated, 1 failed");
  });

  it("says so when the host was never reached", () => {
    const s = new HostSummary();
    s.add(newTally(), [{ change: change("a", "delete"), ok: false, retrying: false }]);
    expect(s.line("h")).toBe("h: no rebuild, 1 container: 1 failed");
  });
});

class RecordingSink implements LogSink {
  readonly sent: { severity: Severity; message: string; urn: string; ephemeral: boolean }[] = [];
  send(severity: Severity, message: string, urn: string, ephemeral: boolean) {
    this.sent.push({ severity, message, urn, ephemeral });
  }
  drain() {
    return Promise.resolve();
  }
}

describe("the dynamic front's progress", () => {
  it("puts a round's live status on every resource of the round, ephemeral", () => {
    const sink = new RecordingSink();
    new EngineProgress(sink, "normal").about(["urn:a", "urn:b", "urn:a"]).status("h: building");
    expect(sink.sent).toEqual([
      { severity: "info", message: "h: building", urn: "urn:a", ephemeral: true },
      { severity: "info", message: "h: building", urn: "urn:b", ephemeral: true },
    ]);
  });

  it("keeps summary and warnings on the round's one resource, or on the Stack when it served several", () => {
    const sink = new RecordingSink();
    const progress = new EngineProgress(sink, "normal");
    progress.about(["urn:host"]).info("h: 1 rebuild");
    progress.about(["urn:a", "urn:b"]).warn("h: failed units");
    progress.status("connecting");
    expect(sink.sent).toEqual([
      { severity: "info", message: "h: 1 rebuild", urn: "urn:host", ephemeral: false },
      { severity: "warning", message: "h: failed units", urn: "", ephemeral: false },
      { severity: "info", message: "connecting", urn: "", ephemeral: true },
    ]);
  });

  it("sends remote command lines at debug severity, and keeps every line with PULUMI_NIXOS_CONTAINERS_LOG=debug", () => {
    const normal = new RecordingSink();
    new EngineProgress(normal, verbosityFrom({})).about(["urn:a"]).debug("h: | building");
    expect(normal.sent).toEqual([{ severity: "debug", message: "h: | building", urn: "urn:a", ephemeral: false }]);

    const debug = new RecordingSink();
    const progress = new EngineProgress(debug, verbosityFrom({ PULUMI_NIXOS_CONTAINERS_LOG: "debug" })).about(["urn:a"]);
    progress.debug("h: | building");
    progress.status("h: activating");
    expect(debug.sent).toEqual([
      { severity: "info", message: "h: | building", urn: "urn:a", ephemeral: false },
      { severity: "info", message: "h: activating", urn: "urn:a", ephemeral: false },
    ]);
  });
});

describe("the engine address", () => {
  it("is the host:port argument the engine starts the provider with, after any flags", () => {
    expect(engineAddress(["127.0.0.1:40123"])).toBe("127.0.0.1:40123");
    expect(engineAddress(["--logtostderr", "-v=9", "127.0.0.1:40123"])).toBe("127.0.0.1:40123");
    expect(engineAddress([])).toBeUndefined();
  });
});

describe("the Log RPC", () => {
  const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
  const { EngineService } = require("@pulumi/pulumi/proto/engine_grpc_pb");
  const { LogSeverity } = require("@pulumi/pulumi/proto/engine_pb");
  const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] }));

  it("reaches a real Engine service in order, with the resource's URN and the ephemeral flag", async () => {
    const received: unknown[] = [];
    const server = new grpc.Server();
    server.addService(EngineService, {
      log: (call: any, done: (err: null, resp: unknown) => void) => {
        const r = call.request;
        received.push({ severity: r.getSeverity(), message: r.getMessage(), urn: r.getUrn(), ephemeral: r.getEphemeral() });
        done(null, new Empty());
      },
    });
    const port: number = await new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e: Error | null, p: number) => (e ? reject(e) : resolve(p))));
    try {
      const log = new EngineLog(`127.0.0.1:${port}`);
      for (let i = 0; i < 20; i++) log.send("info", `step ${i}`, "urn:a", true);
      log.send("warning", "look", "urn:b", false);
      log.send("debug", "line", "", false);
      await log.drain();
      expect(received).toHaveLength(22);
      expect(received.slice(0, 20)).toEqual([...Array(20).keys()].map((i) => ({ severity: LogSeverity.INFO, message: `step ${i}`, urn: "urn:a", ephemeral: true })));
      expect(received.slice(20)).toEqual([
        { severity: LogSeverity.WARNING, message: "look", urn: "urn:b", ephemeral: false },
        { severity: LogSeverity.DEBUG, message: "line", urn: "", ephemeral: false },
      ]);
    } finally {
      server.forceShutdown();
    }
  });

  it("without an engine, keeps what matters on stderr and drops live status", async () => {
    const written: string[] = [];
    const write = jest.spyOn(process.stderr, "write").mockImplementation((chunk: any) => (written.push(String(chunk)), true));
    try {
      const log = new EngineLog("127.0.0.1:1");
      log.send("info", "busy", "urn:a", true);
      log.send("warning", "look", "urn:a", false);
      log.send("info", "h: 1 rebuild", "", false);
      await log.drain();
    } finally {
      write.mockRestore();
    }
    expect(written).toEqual(["nixos-containers: warning: look\n", "nixos-containers: h: 1 rebuild\n"]);
  });
});
