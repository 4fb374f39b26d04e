package images

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// addPython adds what a Python program of the host can import. Importing
// is dynamic (supervisord loads its RPC interface by name, and its options
// module imports pkg_resources, which its own metadata does not list), so
// the modules cannot be found by following imports. On a Debian host the
// package database is exact: every file that the program's package and its
// dependencies, recursively, install below the interpreter's module path
// (the standard library comes in through python3's dependencies). On other
// hosts the whole module path is copied. Compiled extension modules bring
// their shared libraries.
func (h *hostSet) addPython(interp, program string) error {
	dirs, cacheTag, err := pythonPath(interp)
	if err != nil {
		return fmt.Errorf("host program %s: %w", program, err)
	}
	var files []string
	pkg := ""
	if haveDpkg() {
		real, _ := filepath.EvalSymlinks(program)
		if pkg = packageOf(program); pkg == "" {
			pkg = packageOf(real)
		}
	}
	key := "path " + interp
	if pkg != "" {
		key = "package " + pkg
	}
	if h.python[key] {
		return nil
	}
	h.python[key] = true
	if pkg != "" {
		pkgs, err := dependencyClosure([]string{pkg})
		if err != nil {
			return fmt.Errorf("host program %s: %w", program, err)
		}
		all, err := packageFiles(pkgs)
		if err != nil {
			return fmt.Errorf("host program %s: %w", program, err)
		}
		for _, f := range all {
			if below(f, dirs) {
				files = append(files, f)
			}
		}
	} else {
		for _, d := range dirs {
			err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !e.IsDir() {
					files = append(files, p)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("host program %s: %w", program, err)
			}
		}
	}
	for _, f := range files {
		st, err := os.Lstat(f)
		if err != nil || st.IsDir() {
			continue // a directory comes with what it holds
		}
		if err := h.tree.AddHostPath(f); err != nil {
			return fmt.Errorf("host program %s: %w", program, err)
		}
		if strings.HasSuffix(f, ".py") && cacheTag != "" {
			// the compiled module, so that nothing is compiled at run time
			dir, name := filepath.Split(f)
			pyc := filepath.Join(dir, "__pycache__", strings.TrimSuffix(name, ".py")+"."+cacheTag+".pyc")
			if st, err := os.Stat(pyc); err == nil && st.Mode().IsRegular() {
				if err := h.tree.AddHostPath(pyc); err != nil {
					return err
				}
			}
		}
		if strings.Contains(filepath.Base(f), ".so") && isELF(f) {
			if err := h.tree.AddHostProgram(f); err != nil {
				return fmt.Errorf("host program %s: %w", program, err)
			}
		}
	}
	return nil
}

// pythonPath asks an interpreter for the directories it imports from (as a
// program it runs sees them, without PYTHON* variables) and its tag for
// compiled modules.
func pythonPath(interp string) ([]string, string, error) {
	cmd := exec.Command(interp, "-E", "-c", "import sys\nprint(sys.implementation.cache_tag or '')\nfor p in sys.path:\n    print(p)")
	cmd.Env = []string{"PATH=" + SystemPath, "LC_ALL=C"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("asking %s for its module path: %v: %s", interp, err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	var dirs []string
	for _, l := range lines[1:] {
		if filepath.IsAbs(l) {
			if st, err := os.Stat(l); err == nil && st.IsDir() {
				dirs = append(dirs, filepath.Clean(l))
			}
		}
	}
	return dirs, lines[0], nil
}

func below(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func isELF(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := f.Read(head)
	return n == 4 && string(head) == "\x7fELF"
}
