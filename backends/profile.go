package backends

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"nixproc/agnostic"
)

// MetaFile is where a profile describes itself, relative to its root.
const MetaFile = "nixproc/profile.json"

// ProfileMeta is what the switch engine and the other front doors (Dysnomia
// modules, images) read from a profile instead of parsing backend files.
type ProfileMeta struct {
	ProcessManager         string        `json:"processManager"`
	Dirs                   agnostic.Dirs `json:"dirs"`
	ForceDisableUserChange bool          `json:"forceDisableUserChange"`
	// Processes in activation order.
	Processes []ProfileProcess `json:"processes"`
	// StorePaths the profile's files refer to (realised, GC-rooted).
	StorePaths []string `json:"storePaths,omitempty"`
}

// ProfileProcess is one process of a profile.
type ProfileProcess struct {
	Name         string   `json:"name"`
	Hash         string   `json:"hash"`
	Dependencies []string `json:"dependencies"`
	Files        []string `json:"files"`
	User         string   `json:"user,omitempty"`
	Lock         string   `json:"lock,omitempty"`
	Unlock       string   `json:"unlock,omitempty"`
}

// Profile is a built profile directory.
type Profile struct {
	Path string
	Meta ProfileMeta
}

// OpenProfile reads a profile. An empty path is the empty profile (nothing
// deployed yet).
func OpenProfile(path string) (*Profile, error) {
	p := &Profile{Path: path}
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(filepath.Join(path, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("%s is not a nixproc profile: %w", path, unwrap(err))
	}
	if err := json.Unmarshal(data, &p.Meta); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(path, MetaFile), err)
	}
	return p, nil
}

// File returns the absolute path of a file of the profile.
func (p *Profile) File(rel string) string { return filepath.Join(p.Path, rel) }

// Process finds a process of the profile by name.
func (p *Profile) Process(name string) *ProfileProcess {
	for i := range p.Meta.Processes {
		if p.Meta.Processes[i].Name == name {
			return &p.Meta.Processes[i]
		}
	}
	return nil
}

// DefaultUnits is the unit list most deployers use: every process of the
// profile, in activation order.
func DefaultUnits(p *Profile) []Unit {
	out := make([]Unit, 0, len(p.Meta.Processes))
	for _, pp := range p.Meta.Processes {
		out = append(out, Unit{Name: pp.Name, Hash: pp.Hash, Dependencies: pp.Dependencies, Lock: pp.Lock, Unlock: pp.Unlock})
	}
	return out
}

// nixBase32 encodes like Nix store hashes do, so profile names look at home
// next to store paths.
func nixBase32(b []byte) string {
	const chars = "0123456789abcdfghijklmnpqrsvwxyz"
	n := (len(b)*8-1)/5 + 1
	out := make([]byte, 0, n)
	for i := n - 1; i >= 0; i-- {
		bit := uint(i * 5)
		j, k := bit/8, bit%8
		c := b[j] >> k
		if int(j)+1 < len(b) {
			c |= b[j+1] << (8 - k)
		}
		out = append(out, chars[c&0x1f])
	}
	return string(out)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
