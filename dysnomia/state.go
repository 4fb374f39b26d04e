package dysnomia

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"nixproc/usermgmt"
)

// StateDir is where Dysnomia keeps its state: DYSNOMIA_STATEDIR, else
// /var/state/dysnomia for root and ~/.dysnomia for anyone else.
func StateDir(p Props) string {
	if d := p["DYSNOMIA_STATEDIR"]; d != "" {
		return d
	}
	if d := os.Getenv("DYSNOMIA_STATEDIR"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/state/dysnomia"
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "dysnomia-"+fmt.Sprint(os.Geteuid()))
	}
	return filepath.Join(home, ".dysnomia")
}

// storeHash is the hash part of a store path's name.
var storeHash = regexp.MustCompile(`^[0-9a-df-np-sv-z]{32}-`)

// ComponentName is the name of a component: the base name of its path,
// without the hash when it is a store path.
func ComponentName(path string) string {
	return stripStoreHash(path)
}

// ContainerName is the name of a container: the base name of the container
// given (a name or a file), without a store hash; without one, the module's
// name.
func ContainerName(container, module string) string {
	if container == "" {
		return module
	}
	return stripStoreHash(container)
}

func stripStoreHash(path string) string {
	base := filepath.Base(path)
	store := os.Getenv("NIX_STORE_DIR")
	if store == "" {
		store = "/nix/store"
	}
	if filepath.Dir(filepath.Clean(path)) == filepath.Clean(store) && storeHash.MatchString(base) {
		return base[33:]
	}
	return base
}

// markers are the activation and garbage markers of one component in one
// container, as Dysnomia keeps them: empty files
// <state>/activated/<container>/<component> and
// <state>/garbage/<container>/<component>.
type markers struct {
	state, container, component string
}

func markersOf(inv *Invocation, module string) markers {
	return markers{StateDir(inv.Props), ContainerName(inv.Container, module), ComponentName(inv.Component)}
}

func (m markers) file(kind string) string {
	return filepath.Join(m.state, kind, m.container, m.component)
}

// markActive marks the component active (and no longer garbage).
func (m markers) markActive() error {
	f := m.file("activated")
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		return fmt.Errorf("marking %s active: %w", m.component, err)
	}
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		return fmt.Errorf("marking %s active: %w", m.component, err)
	}
	os.Remove(m.file("garbage"))
	return nil
}

// unmarkActive removes the active marker.
func (m markers) unmarkActive() {
	os.Remove(m.file("activated"))
}

// active tells whether the component is marked active.
func (m markers) active() bool {
	_, err := os.Stat(m.file("activated"))
	return err == nil
}

// ActivatedComponents lists the components marked active in a container.
func ActivatedComponents(state, container string) []string {
	entries, _ := os.ReadDir(filepath.Join(state, "activated", container))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// AccountRegistry is where Dysnomia's user tools record the accounts they
// created, for a state directory.
func AccountRegistry(state string) usermgmt.Registry {
	return usermgmt.Registry{File: filepath.Join(state, "nixproc", "accounts.json")}
}

// recordDir keeps what the managed-process module generated and activated.
func recordFile(inv *Invocation, module string) string {
	m := markersOf(inv, module)
	return filepath.Join(m.state, "nixproc", module, m.container, m.component)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// oneLine keeps a message to one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
