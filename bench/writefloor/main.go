// Command writefloor measures the least time the files and links of a built
// profile take to create on its file system: it copies the profile's tree
// into a new directory beside it with plain system calls, the directories
// spread over every core, and nothing else (no rendering, no hashing).
// make bench prints it next to nixproc-build's time, as the part of a build
// that no generator can make faster.
//
// Usage: writefloor PROFILE — prints the best of three runs, in seconds.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// node is one entry of the profile: a directory, a file with its content,
// or a link with its target.
type node struct {
	rel    string
	kind   fs.FileMode
	mode   uint32
	data   []byte
	target string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: writefloor PROFILE")
		os.Exit(2)
	}
	profile := os.Args[1]
	dirs, byDir, err := load(profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "writefloor:", err)
		os.Exit(1)
	}
	best := time.Duration(0)
	for run := 0; run < 3; run++ {
		dest, err := os.MkdirTemp(filepath.Dir(profile), ".writefloor-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "writefloor:", err)
			os.Exit(1)
		}
		start := time.Now()
		err = write(dest, dirs, byDir)
		took := time.Since(start)
		os.RemoveAll(dest)
		if err != nil {
			fmt.Fprintln(os.Stderr, "writefloor:", err)
			os.Exit(1)
		}
		if best == 0 || took < best {
			best = took
		}
	}
	fmt.Printf("%.3f\n", best.Seconds())
}

// load reads the profile: its directories, parents first, and the other
// entries of each directory.
func load(root string) ([]string, map[string][]node, error) {
	var dirs []string
	byDir := map[string][]node{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		n := node{rel: rel, kind: d.Type()}
		switch {
		case d.IsDir():
			if rel != "." {
				dirs = append(dirs, rel)
			}
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			if n.target, err = os.Readlink(path); err != nil {
				return err
			}
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			n.mode = uint32(info.Mode().Perm())
			if n.data, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		parent := filepath.Dir(rel)
		byDir[parent] = append(byDir[parent], n)
		return nil
	})
	return dirs, byDir, err
}

// write creates the directories, then the entries of each directory, a
// directory per worker, as nixproc's profile writer does.
func write(dest string, dirs []string, byDir map[string][]node) error {
	for _, d := range dirs {
		if err := syscall.Mkdir(dest+"/"+d, 0o755); err != nil {
			return fmt.Errorf("mkdir %s: %w", d, err)
		}
	}
	jobs := make(chan []node)
	errs := make(chan error, len(byDir))
	var wg sync.WaitGroup
	for w := 0; w < max(4, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for entries := range jobs {
				for _, n := range entries {
					if err := create(dest+"/"+n.rel, n); err != nil {
						errs <- err
						break
					}
				}
			}
		}()
	}
	for _, entries := range byDir {
		jobs <- entries
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func create(path string, n node) error {
	if n.kind&fs.ModeSymlink != 0 {
		return syscall.Symlink(n.target, path)
	}
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, n.mode)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := syscall.Write(fd, n.data); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syscall.Close(fd)
}
