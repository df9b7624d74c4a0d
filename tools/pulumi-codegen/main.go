// Command pulumi-gen-nixos writes the SDKs of the nixos package (Python, Go, Node.js) from
// schema.json with Pulumi's own code generators (github.com/pulumi/pulumi/pkg/v3/codegen).
//
// `pulumi package gen-sdk` would do the same through the language hosts, but the hosts this
// project can build (sdk/v3 v3.68.0) do not implement GeneratePackage, so the generators are
// called directly, at the CLI's version (tools/pulumi-codegen/go.mod).
//
//	pulumi-gen-nixos -schema schema.json -out sdks           write sdks/{python,go,nodejs}
//	pulumi-gen-nixos -schema schema.json -out sdks -check    only report what is out of date
//
// The schema is bound with validation first (schema.BindSpec, as `pulumi schema check` does):
// any error diagnostic stops it before anything is written.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/blang/semver"
	"github.com/hashicorp/hcl/v2"
	"golang.org/x/mod/modfile"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// The name generated files say they were written by.
const tool = "pulumi-gen-nixos"

// Build output that may sit inside an SDK folder and is not the generator's (and *.egg-info):
// never compared, never removed.
var buildOutput = map[string]bool{
	"node_modules": true, "bin": true, "__pycache__": true, "build": true, "dist": true,
}

func main() {
	schemaPath := flag.String("schema", "schema.json", "the package schema")
	out := flag.String("out", "sdks", "the folder that holds one SDK folder per language")
	check := flag.Bool("check", false, "write nothing; exit 1 when a file differs from what would be written")
	flag.Parse()
	if err := run(*schemaPath, *out, *check); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
}

func run(schemaPath, out string, check bool) error {
	pkg, err := bind(schemaPath)
	if err != nil {
		return err
	}
	sdks := map[string]map[string][]byte{}
	if sdks["python"], err = python.GeneratePackage(tool, pkg, nil, noLoader{}); err != nil {
		return fmt.Errorf("python: %w", err)
	}
	if err := addPythonReadme(sdks["python"]); err != nil {
		return err
	}
	if sdks["nodejs"], err = nodejs.GeneratePackage(tool, pkg, nil, nil, false, noLoader{}); err != nil {
		return fmt.Errorf("nodejs: %w", err)
	}
	if sdks["go"], err = gogen.GeneratePackage(tool, pkg, nil); err != nil {
		return fmt.Errorf("go: %w", err)
	}
	if err := completeGoModule(sdks["go"]); err != nil {
		return fmt.Errorf("go: %w", err)
	}

	stale := 0
	for _, lang := range []string{"go", "nodejs", "python"} {
		n, err := sync(filepath.Join(out, lang), sdks[lang], check)
		if err != nil {
			return err
		}
		stale += n
	}
	if check && stale > 0 {
		return fmt.Errorf("%d generated file(s) out of date under %s: run make generate", stale, out)
	}
	return nil
}

// bind reads and validates the schema; error diagnostics are printed and fail the run.
func bind(schemaPath string) (*schema.Package, error) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if len(diags) > 0 {
		wr := hcl.NewDiagnosticTextWriter(os.Stderr, nil, 0, false)
		_ = wr.WriteDiagnostics(diags)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", schemaPath, err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: schema validation failed (%d error(s) above)", schemaPath, countErrors(diags))
	}
	return pkg, nil
}

func countErrors(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			n++
		}
	}
	return n
}

// addPythonReadme puts the package's README.md (the schema's description) beside
// pyproject.toml too, which names it as the project's readme: without it the SDK does not build.
func addPythonReadme(files map[string][]byte) error {
	for name, content := range files {
		if dir, base := path.Split(name); base == "README.md" && dir != "" && path.Dir(path.Clean(dir)) == "." {
			files["README.md"] = content
			return nil
		}
	}
	return errors.New("python: the generator wrote no package README.md")
}

// completeGoModule makes the Go SDK a module that builds as committed: the generator's go.mod
// asks for sdk/v3 v3.30.0, older than the code it writes needs, and has no go.sum. It is pinned
// to the sdk/v3 of the generator's own Pulumi version and tidied (go.sum), in a scratch folder.
func completeGoModule(files map[string][]byte) error {
	sdkVersion, err := pulumiVersion()
	if err != nil {
		return err
	}
	mod, err := modfile.Parse("go.mod", files["go.mod"], nil)
	if err != nil {
		return err
	}
	if err := mod.AddRequire("github.com/pulumi/pulumi/sdk/v3", sdkVersion); err != nil {
		return err
	}
	if files["go.mod"], err = mod.Format(); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "pulumi-gen-nixos-go-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := sync(dir, files, false); err != nil {
		return err
	}
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = dir
	tidy.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	if msg, err := tidy.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %w\n%s", err, msg)
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		if files[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// pulumiVersion is the version of pkg/v3 this binary was built with (tools/pulumi-codegen/go.mod).
func pulumiVersion() (string, error) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", errors.New("no build information in this binary")
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/pulumi/pulumi/pkg/v3" {
			return dep.Version, nil
		}
	}
	return "", errors.New("pkg/v3 is not among this binary's dependencies")
}

// sync makes dir hold exactly files (build output aside). With check, it writes nothing and
// reports each difference. It returns the number of files that differ.
func sync(dir string, files map[string][]byte, check bool) (int, error) {
	stale := 0
	onDisk := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if d.IsDir() && (buildOutput[d.Name()] || strings.HasSuffix(d.Name(), ".egg-info")) {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			onDisk[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, name := range sortedKeys(onDisk) {
		if _, ok := files[name]; ok {
			continue
		}
		stale++
		if check {
			fmt.Fprintf(os.Stderr, "not generated any more: %s\n", filepath.Join(dir, name))
		} else if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return 0, err
		}
	}
	for _, name := range sortedKeys(files) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		current, err := os.ReadFile(path)
		if err == nil && bytes.Equal(current, files[name]) {
			continue
		}
		stale++
		if check {
			fmt.Fprintf(os.Stderr, "out of date: %s\n", path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return 0, err
		}
	}
	if !check {
		removeEmptyDirs(dir)
	}
	return stale, nil
}

func removeEmptyDirs(dir string) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i > 0; i-- { // deepest first; never dir itself
		_ = os.Remove(dirs[i]) // fails, as it should, on a folder that is not empty
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// noLoader answers every request for another package with an error: schema.json refers to
// none, so a request means the schema gained a reference this tool was not built for.
type noLoader struct{}

func (noLoader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("schema.json refers to package %q: only self-contained schemas are supported", name)
}

func (l noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (l noLoader) LoadPackageReference(name string, v *semver.Version) (schema.PackageReference, error) {
	_, err := l.LoadPackage(name, v)
	return nil, err
}

func (l noLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}
