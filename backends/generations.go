package backends

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Profiles manages the generations of one profile the way Nix profiles do:
// <dir>/<name> links to <name>-<N>-link, which links to a built profile.
type Profiles struct {
	Dir  string
	Name string
}

// ProfileLocation resolves -p/--profile: a bare name lives in
// NIX_USER_PROFILE_DIR, else <NIX_STATE_DIR or /nix/var/nix>/profiles; a
// name with a slash is a path of its own.
func ProfileLocation(profile string) Profiles {
	if profile == "" {
		profile = "processes"
	}
	if strings.Contains(profile, "/") {
		abs, _ := filepath.Abs(profile)
		return Profiles{Dir: filepath.Dir(abs), Name: filepath.Base(abs)}
	}
	dir := os.Getenv("NIX_USER_PROFILE_DIR")
	if dir == "" {
		state := os.Getenv("NIX_STATE_DIR")
		if state == "" {
			state = "/nix/var/nix"
		}
		dir = filepath.Join(state, "profiles")
	}
	return Profiles{Dir: dir, Name: profile}
}

// Generation is one generation of a profile.
type Generation struct {
	Number  int
	Path    string // what the generation link points to
	Created time.Time
	Current bool
}

func (g Profiles) link() string { return filepath.Join(g.Dir, g.Name) }

func (g Profiles) genLink(n int) string {
	return filepath.Join(g.Dir, fmt.Sprintf("%s-%d-link", g.Name, n))
}

// Current returns the profile that is deployed now ("" if none).
func (g Profiles) Current() (string, int, error) {
	target, err := os.Readlink(g.link())
	if os.IsNotExist(err) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	n := genNumber(g.Name, filepath.Base(target))
	path, err := filepath.EvalSymlinks(g.link())
	if err != nil {
		return "", 0, fmt.Errorf("profile %s points to %s, which is gone: %w", g.link(), target, unwrap(err))
	}
	return path, n, nil
}

// List returns every generation, oldest first.
func (g Profiles) List() ([]Generation, error) {
	entries, err := os.ReadDir(g.Dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_, cur, _ := g.Current()
	var out []Generation
	for _, e := range entries {
		n := genNumber(g.Name, e.Name())
		if n == 0 {
			continue
		}
		path, _ := os.Readlink(filepath.Join(g.Dir, e.Name()))
		info, err := os.Lstat(filepath.Join(g.Dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, Generation{Number: n, Path: path, Created: info.ModTime(), Current: n == cur})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func genNumber(name, base string) int {
	re := regexp.MustCompile("^" + regexp.QuoteMeta(name) + `-(\d+)-link$`)
	m := re.FindStringSubmatch(base)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Add makes path a new generation and the current one.
func (g Profiles) Add(path string) (int, error) {
	if err := os.MkdirAll(g.Dir, 0o755); err != nil {
		return 0, err
	}
	if cur, n, err := g.Current(); err == nil && n > 0 && cur == path {
		return n, nil // already current: no new generation, as nix-env --set
	}
	gens, err := g.List()
	if err != nil {
		return 0, err
	}
	n := 1
	if len(gens) > 0 {
		n = gens[len(gens)-1].Number + 1
	}
	if err := os.Symlink(path, g.genLink(n)); err != nil {
		return 0, err
	}
	return n, g.SetCurrent(n)
}

// SetCurrent makes generation n current, atomically.
func (g Profiles) SetCurrent(n int) error {
	return replaceSymlink(filepath.Base(g.genLink(n)), g.link())
}

// Find returns the profile path of generation n.
func (g Profiles) Find(n int) (string, error) {
	path, err := filepath.EvalSymlinks(g.genLink(n))
	if err != nil {
		return "", fmt.Errorf("cannot switch to generation %d of profile %s: it does not exist", n, g.link())
	}
	return path, nil
}

// Previous returns the generation before the current one, as nix-env
// --rollback picks it.
func (g Profiles) Previous() (int, error) {
	gens, err := g.List()
	if err != nil {
		return 0, err
	}
	_, cur, err := g.Current()
	if err != nil {
		return 0, err
	}
	prev := 0
	for _, gen := range gens {
		if gen.Number < cur {
			prev = gen.Number
		}
	}
	if prev == 0 {
		return 0, fmt.Errorf("unable to roll back: profile %s has no generation before the current one", g.link())
	}
	return prev, nil
}

// PrintList writes the generations as nix-env --list-generations does.
func (g Profiles) PrintList(w io.Writer) error {
	gens, err := g.List()
	if err != nil {
		return err
	}
	for _, gen := range gens {
		cur := ""
		if gen.Current {
			cur = "   (current)"
		}
		fmt.Fprintf(w, "%4d   %s%s\n", gen.Number, gen.Created.Format("2006-01-02 15:04:05"), cur)
	}
	return nil
}

// Delete removes generations as nix-env --delete-generations does: numbers,
// "old" (all but the current), "Nd" (older than N days) or "+N" (all but the
// newest N). The current generation is never deleted.
func (g Profiles) Delete(specs []string) error {
	gens, err := g.List()
	if err != nil {
		return err
	}
	doomed := map[int]bool{}
	for _, spec := range specs {
		switch {
		case spec == "old":
			for _, gen := range gens {
				doomed[gen.Number] = true
			}
		case strings.HasSuffix(spec, "d"):
			days, err := strconv.Atoi(strings.TrimSuffix(spec, "d"))
			if err != nil || days < 0 {
				return fmt.Errorf("invalid generation specification %q", spec)
			}
			cutoff := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
			for _, gen := range gens {
				if gen.Created.Before(cutoff) {
					doomed[gen.Number] = true
				}
			}
		case strings.HasPrefix(spec, "+"):
			keep, err := strconv.Atoi(spec[1:])
			if err != nil || keep < 0 {
				return fmt.Errorf("invalid generation specification %q", spec)
			}
			for i := 0; i < len(gens)-keep; i++ {
				doomed[gens[i].Number] = true
			}
		default:
			n, err := strconv.Atoi(spec)
			if err != nil || n <= 0 {
				return fmt.Errorf("invalid generation specification %q (a number, old, Nd or +N)", spec)
			}
			doomed[n] = true
		}
	}
	for _, gen := range gens {
		if doomed[gen.Number] && !gen.Current {
			if err := os.Remove(g.genLink(gen.Number)); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeleteAll removes the profile link and every generation; processes keep
// running.
func (g Profiles) DeleteAll() error {
	gens, err := g.List()
	if err != nil {
		return err
	}
	for _, gen := range gens {
		if err := os.Remove(g.genLink(gen.Number)); err != nil {
			return err
		}
	}
	if err := os.Remove(g.link()); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
