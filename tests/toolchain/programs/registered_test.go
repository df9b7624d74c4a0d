// The program of tests/toolchain/sdks.test.ts in Go, against the generated SDK (copied into a
// copy of sdks/go/nixos) under Pulumi's mocks: prints, as JSON after "REGISTERED ", the inputs
// each resource registers (secrets as {"secret": value}).
package nixos

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type mocks struct {
	mu         sync.Mutex
	registered map[string]resource.PropertyMap
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registered[args.Name] = args.Inputs
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func plain(v resource.PropertyValue) (any, bool) {
	if v.IsSecret() {
		return map[string]any{"secret": v.SecretValue().Element.MapRepl(nil, plain)}, true
	}
	return nil, false
}

func TestRegistered(t *testing.T) {
	m := &mocks{registered: map[string]resource.PropertyMap{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewNixosContainer(ctx, "web", &NixosContainerArgs{
			Name:       pulumi.String("web"),
			Connection: ConnectionArgs{Host: pulumi.String("10.0.0.5"), PrivateKey: pulumi.String(os.Getenv("KEY"))},
		})
		if err != nil {
			return err
		}
		_, err = NewNixosHost(ctx, "host", &NixosHostArgs{
			Connection: ConnectionArgs{Host: pulumi.String("10.0.0.6"), User: pulumi.String("deploy"), Password: pulumi.String(os.Getenv("PASSWORD"))},
			Containers: HostContainerMap{"a": HostContainerArgs{Name: pulumi.String("a")}},
		})
		return err
	}, pulumi.WithMocks("project", "stack", m))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for name, inputs := range m.registered {
		out[name] = inputs.MapRepl(nil, plain)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("REGISTERED %s\n", b)
}
