package backends

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Names lists every process manager nixproc knows, built or not, in the
// order the tools are documented.
var Names = []string{"sysvinit", "bsdrc", "systemd", "supervisord", "launchd", "cygrunsrv", "s6-rc", "docker", "disnix"}

var (
	mu       sync.RWMutex
	registry = map[string]Backend{}
)

// Register makes a backend available; backend packages call it from init,
// and cmd/nixproc imports them all in one place (backends/all).
func Register(b Backend) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[b.Name()]; dup {
		panic("backend registered twice: " + b.Name())
	}
	registry[b.Name()] = b
}

// Lookup finds a backend. An unknown name, or one whose backend is not built
// yet, is an error that lists the ones there are.
func Lookup(name string) (Backend, error) {
	mu.RLock()
	defer mu.RUnlock()
	if b, ok := registry[name]; ok {
		return b, nil
	}
	for _, n := range Names {
		if n == name {
			return nil, fmt.Errorf("the %s backend is not implemented yet (available: %s)", name, strings.Join(available(), ", "))
		}
	}
	if name == "" {
		return nil, fmt.Errorf("no process manager specified (use -P, one of: %s)", strings.Join(Names, ", "))
	}
	return nil, fmt.Errorf("unknown process manager %q (known: %s)", name, strings.Join(Names, ", "))
}

// Available lists the backends that are built.
func Available() []string {
	mu.RLock()
	defer mu.RUnlock()
	return available()
}

func available() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
