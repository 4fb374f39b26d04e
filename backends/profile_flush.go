package backends

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// flush writes every entry to disk. A large profile has tens of thousands
// of files and links, and creating them is most of what a build does, so
// directories are written by several workers at once: the kernel serialises
// creations within one directory, not across directories, and on a disk
// (not a tmpfs) a worker waiting for it leaves the core to another.
func (w *ProfileWriter) flush() error {
	dirs := map[string][]int{} // entries of every directory, in the order written
	for i := range w.entries {
		d := filepath.Dir(w.entries[i].rel)
		dirs[d] = append(dirs[d], i)
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	slices.Sort(names) // parents before their children
	shared := w.sharedDirs(names, dirs)
	for _, d := range names {
		abs := filepath.Join(w.root, d)
		if twin, ok := shared[d]; ok {
			if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(filepath.Base(twin), abs); err != nil {
				return err
			}
			delete(dirs, d)
			continue
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
	}
	names = slices.DeleteFunc(names, func(d string) bool { _, ok := shared[d]; return ok })
	// The largest directories first, so that no worker is left with a
	// large one at the end.
	slices.SortFunc(names, func(a, b string) int { return len(dirs[b]) - len(dirs[a]) })
	workers := max(4, runtime.GOMAXPROCS(0))
	jobs := make(chan string)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range jobs {
				if errs[k] != nil {
					continue
				}
				for _, i := range dirs[d] {
					if err := w.writeEntry(&w.entries[i]); err != nil {
						errs[k] = err
						break
					}
				}
			}
		}()
	}
	for _, d := range names {
		jobs <- d
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeEntry creates one file or link. Plain system calls: os.WriteFile
// would also register every file with the network poller, a wasted call
// per file.
func (w *ProfileWriter) writeEntry(e *entry) error {
	abs := w.root + "/" + e.rel // rel is clean and relative (add)
	if e.link {
		return wrapPathError("symlink", abs, syscall.Symlink(string(e.data), abs))
	}
	fd, err := syscall.Open(abs, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(e.mode.Perm()))
	if err != nil {
		return wrapPathError("open", abs, err)
	}
	for data := e.data; len(data) > 0; {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return wrapPathError("write", abs, err)
		}
		data = data[n:]
	}
	return wrapPathError("close", abs, syscall.Close(fd))
}

func wrapPathError(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}

// sharedDirs returns the shareable directories that are written as a link
// to an identical sibling, each with the sibling it links to (the first of
// its kind in path order, which is written as a directory).
func (w *ProfileWriter) sharedDirs(names []string, dirs map[string][]int) map[string]string {
	shared := map[string]string{}
	var kept []string // shareable directories written as directories
	for _, d := range names {
		if !w.shareable[d] || hasSubdirs(d, names) {
			continue
		}
		twin := ""
		for _, k := range kept {
			if filepath.Dir(k) == filepath.Dir(d) && w.sameEntries(dirs[k], dirs[d]) {
				twin = k
				break
			}
		}
		if twin == "" {
			kept = append(kept, d)
		} else {
			shared[d] = twin
		}
	}
	return shared
}

func hasSubdirs(dir string, names []string) bool {
	prefix := dir + "/"
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// sameEntries says whether two directories' entries, taken in the order
// they were written, have the same names, kinds, modes and contents. (A
// backend writes the links of its directories in one order; directories
// with the same entries in another order are written twice, which is
// only a missed saving.)
func (w *ProfileWriter) sameEntries(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		x, y := &w.entries[a[k]], &w.entries[b[k]]
		if filepath.Base(x.rel) != filepath.Base(y.rel) || x.link != y.link || x.mode != y.mode || !bytes.Equal(x.data, y.data) {
			return false
		}
	}
	return true
}
