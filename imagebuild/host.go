package imagebuild

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// AddHostPath copies a path of the host into the tree, at the same place.
// Symbolic links on the way are copied as links and followed, so on a
// merged-/usr system /bin/sh gives the link /bin -> usr/bin, the link
// /usr/bin/sh -> dash and the file /usr/bin/dash. A directory is copied with
// everything below it; links below it are copied as they are. Owners are
// not copied: everything belongs to root unless Chown says otherwise.
func (t *Tree) AddHostPath(p string) error {
	real, err := t.resolveHost(p)
	if err != nil {
		return err
	}
	return t.copyHost(real)
}

// AddHostProgram copies a program of the host and what it needs to run: the
// shared libraries ldd names and the dynamic loader of an ELF program, the
// interpreter of a script (and, for "#!/usr/bin/env prog", prog). A name
// without a slash is looked up in PATH. Libraries a program opens at run
// time (dlopen) are not found this way; add them with AddHostPath.
func (t *Tree) AddHostProgram(prog string) error {
	return t.addProgram(prog, "", map[string]bool{})
}

// AddHostProgramAt copies a program of the host to the image path at (a
// program whose host location differs from run to run, such as a freshly
// built binary), with what it needs to run at their host paths, as
// AddHostProgram does.
func (t *Tree) AddHostProgramAt(prog, at string) error {
	return t.addProgram(prog, at, map[string]bool{})
}

// addProgram copies prog to at, or to its own place when at is "".
func (t *Tree) addProgram(prog, at string, seen map[string]bool) error {
	p := prog
	if !strings.Contains(prog, "/") {
		found, err := exec.LookPath(prog)
		if err != nil {
			return fmt.Errorf("host program %s is not installed (not found in PATH)", prog)
		}
		p = found
	}
	if !path.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		p = abs
	}
	if seen[p] {
		return nil
	}
	seen[p] = true
	real, err := t.resolveHost(p)
	if err != nil {
		return err
	}
	st, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("host program %s: %w", prog, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("host program %s: %s is not a regular file", prog, real)
	}
	if at == "" {
		err = t.copyHost(real)
	} else {
		err = t.add(at, &Entry{Type: TypeFile, Mode: st.Mode(), Source: real})
	}
	if err != nil {
		return err
	}
	head, err := readHead(real, 256)
	if err != nil {
		return fmt.Errorf("host program %s: %w", prog, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte(elf.ELFMAG)):
		dynamic, err := isDynamic(real)
		if err != nil {
			return fmt.Errorf("host program %s: %w", prog, err)
		}
		if !dynamic {
			return nil // statically linked
		}
		libs, err := sharedLibraries(real)
		if err != nil {
			return fmt.Errorf("host program %s: %w", prog, err)
		}
		for _, lib := range libs {
			if err := t.AddHostPath(lib); err != nil {
				return fmt.Errorf("host program %s: %w", prog, err)
			}
		}
	case bytes.HasPrefix(head, []byte("#!")):
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		words := strings.Fields(string(line))
		if len(words) == 0 {
			return fmt.Errorf("host program %s: its #! line names no interpreter", prog)
		}
		if err := t.addProgram(words[0], "", seen); err != nil {
			return err
		}
		if path.Base(words[0]) == "env" && len(words) > 1 && !strings.HasPrefix(words[1], "-") {
			if err := t.addProgram(words[1], "", seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolveHost follows p on the host component by component, declares every
// symbolic link it meets, and returns the real path it leads to.
func (t *Tree) resolveHost(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("host path %q must be absolute", p)
	}
	rest := components(p)
	done := "/"
	for hops := 0; len(rest) > 0; {
		cur := path.Join(done, rest[0])
		rest = rest[1:]
		st, err := os.Lstat(cur)
		if err != nil {
			return "", fmt.Errorf("host path %s: %w", p, unwrapPath(err))
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			done = cur
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("host path %s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(cur)
		if err != nil {
			return "", fmt.Errorf("host path %s: %w", p, unwrapPath(err))
		}
		if err := t.Symlink(cur, target); err != nil {
			return "", err
		}
		next := target
		if !path.IsAbs(target) {
			next = path.Join(done, target)
		}
		rest = append(components(next), rest...)
		done = "/"
	}
	return done, nil
}

func components(p string) []string {
	p = clean(p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// AddHostTree copies what the host directory dir holds to the image
// directory at (made with dir's mode): a tree a tool made in a temporary
// directory goes where the image needs it. Links are copied as they are.
func (t *Tree) AddHostTree(dir, at string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("host path %s: %w", dir, unwrapPath(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("host path %s is not a directory", dir)
	}
	return t.copyHostTo(dir, at)
}

// copyHost declares a host object at its own path: a file (read when the
// layer is written), a directory with everything below it, a link as it is.
func (t *Tree) copyHost(p string) error { return t.copyHostTo(p, p) }

// copyHostTo declares the host object src, and what is below it, at dst.
func (t *Tree) copyHostTo(src, dst string) error {
	return filepath.WalkDir(src, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("host path %s: %w", host, unwrapPath(err))
		}
		rel, err := filepath.Rel(src, host)
		if err != nil {
			return err
		}
		cur := path.Join(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("host path %s: %w", host, unwrapPath(err))
		}
		m := info.Mode()
		switch {
		case m.IsDir():
			return t.Dir(cur, m)
		case m.IsRegular():
			return t.add(cur, &Entry{Type: TypeFile, Mode: m, Source: host})
		case m&fs.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			return t.Symlink(cur, target)
		case m&fs.ModeNamedPipe != 0:
			return t.Fifo(cur, m)
		default:
			return fmt.Errorf("host path %s: a %s cannot go into an image", host, m.Type())
		}
	})
}

func readHead(p string, n int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:k], nil
}

// isDynamic tells whether an ELF file loads shared libraries: a program
// with a dynamic loader, or a shared library (a Python extension module,
// say) that needs others.
func isDynamic(p string) (bool, error) {
	f, err := elf.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return true, nil
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return false, nil // no dynamic section
	}
	return len(needed) > 0, nil
}

// sharedLibraries asks ldd for the libraries an ELF program loads, the
// dynamic loader included.
func sharedLibraries(p string) ([]string, error) {
	cmd := exec.Command("ldd", p)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %v: %s", p, err, strings.TrimSpace(string(out)))
	}
	return parseLdd(string(out))
}

func parseLdd(out string) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, where, ok := strings.Cut(line, "=>"); ok {
			where = strings.TrimSpace(where)
			if strings.HasPrefix(where, "not found") {
				return nil, fmt.Errorf("needs the shared library %s, which is not found", strings.TrimSpace(name))
			}
			if f := strings.Fields(where); len(f) > 0 && path.IsAbs(f[0]) {
				libs = append(libs, f[0])
			}
			continue
		}
		if f := strings.Fields(line); len(f) > 0 && path.IsAbs(f[0]) {
			libs = append(libs, f[0])
		}
	}
	return libs, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
