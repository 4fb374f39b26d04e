package usermgmt

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// Registry records the accounts the Dysnomia tools created and, for each,
// the components (holders) that declare it. An account is removed only when
// the tools created it and the last component declaring it lets it go, so
// an account that existed before, or that another component still needs,
// stays. Components activated at the same time (Disnix runs activations in
// parallel) serialise on a lock file next to the registry.
type Registry struct {
	// File is the registry's JSON file; its directory is created on use.
	File string
}

// registryData maps an account name to its holders.
type registryData struct {
	Users  map[string][]string `json:"users"`
	Groups map[string][]string `json:"groups"`
}

func (d *registryData) table(kind string) map[string][]string {
	if kind == Users {
		if d.Users == nil {
			d.Users = map[string][]string{}
		}
		return d.Users
	}
	if d.Groups == nil {
		d.Groups = map[string][]string{}
	}
	return d.Groups
}

// Holders returns the components holding an account the tools created, and
// whether the tools created it.
func (r Registry) Holders(kind, name string) ([]string, bool, error) {
	var holders []string
	var ok bool
	err := r.update(func(d *registryData) (bool, error) {
		holders, ok = d.table(kind)[name]
		return false, nil
	})
	return holders, ok, err
}

// update runs fn on the registry under its lock and saves the result when
// fn says it changed something (even when fn also returns an error: what it
// did before the error happened).
func (r Registry) update(fn func(d *registryData) (changed bool, err error)) error {
	if err := os.MkdirAll(filepath.Dir(r.File), 0o755); err != nil {
		return fmt.Errorf("account registry: %w", unwrapPath(err))
	}
	lock, err := os.OpenFile(r.File+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("account registry: %w", unwrapPath(err))
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("account registry: locking %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	var d registryData
	data, err := os.ReadFile(r.File)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return fmt.Errorf("account registry: %w", unwrapPath(err))
	default:
		if err := json.Unmarshal(data, &d); err != nil {
			return fmt.Errorf("account registry %s: %v", r.File, err)
		}
	}
	changed, fnErr := fn(&d)
	if changed {
		for _, t := range []map[string][]string{d.Users, d.Groups} {
			for k := range t {
				sort.Strings(t[k])
			}
		}
		out, _ := json.MarshalIndent(&d, "", "  ")
		tmp := r.File + ".tmp"
		if err := os.WriteFile(tmp, append(out, '\n'), 0o644); err != nil {
			return fmt.Errorf("account registry: %w", unwrapPath(err))
		}
		if err := os.Rename(tmp, r.File); err != nil {
			return fmt.Errorf("account registry: %w", unwrapPath(err))
		}
	}
	return fnErr
}

func addHolder(list []string, h string) []string {
	for _, x := range list {
		if x == h {
			return list
		}
	}
	return append(list, h)
}

func dropHolder(list []string, h string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != h {
			out = append(out, x)
		}
	}
	return out
}
