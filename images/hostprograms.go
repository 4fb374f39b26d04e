package images

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"nixproc/imagebuild"
)

// SystemPath is the PATH of an image, and where host programs named without
// a directory are looked up: the image holds them where the host has them.
// The caller's own PATH does not matter, so the same host gives the same
// image whoever builds it.
const SystemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// basePrograms run the generated files of every process manager: the
// sysvinit init functions, the foreground proxies and process wrappers
// (bash, env, id, setpriv, nice, sleep, rm, readlink), and the initialize
// scripts of models, for which the original put coreutils, sed and grep on
// the PATH.
var basePrograms = []string{
	"bash", "sh", "env", "setpriv",
	"basename", "cat", "chgrp", "chmod", "chown", "cp", "cut", "date", "dirname", "echo", "false", "head",
	"id", "ln", "ls", "mkdir", "mkfifo", "mktemp", "mv", "nice", "printf", "readlink", "realpath", "rm", "rmdir",
	"seq", "sleep", "sort", "stat", "tail", "tee", "test", "touch", "tr", "true", "uname", "wc",
	"grep", "sed",
}

// managerPrograms are what each process manager runs.
var managerPrograms = map[string][]string{
	// the init scripts daemonize foreground processes with libslack's daemon
	"sysvinit":    {"daemon"},
	"disnix":      {"daemon"},
	"supervisord": {"supervisord", "supervisorctl"},
	"s6-rc": {"s6-svscan", "s6-supervise", "s6-svscanctl", "s6-svlink", "s6-svunlink", "s6-svc", "s6-svok",
		"s6-svstat", "s6-svwait", "s6-log", "s6-setuidgid", "s6-envdir", "s6-envuidgid", "s6-applyuidgid", "execlineb"},
}

// packagePrograms name programs whose packages come along whole (every
// program of them): execline's commands are found through the PATH its
// execlineb sets, not by name in a script nixproc could read.
var packagePrograms = map[string][]string{"s6-rc": {"s6-svscan", "execlineb"}}

// packageProgramDirs are where those commands are when the host has no
// package database to ask.
var packageProgramDirs = map[string][]string{"s6-rc": {"/usr/lib/execline/bin"}}

// interactivePrograms make a shell in the container usable, as the
// original's interactive step did (coreutils, findutils, grep, sed, less,
// procps, diffutils, util-linux); the ones the host lacks are left out.
var interactivePrograms = []string{
	"[", "chroot", "comm", "dd", "df", "du", "expand", "expr", "fmt", "fold", "groups", "hostname", "install",
	"join", "link", "logname", "md5sum", "mknod", "nl", "nohup", "nproc", "numfmt", "od", "paste", "pathchk",
	"pr", "printenv", "ptx", "pwd", "sha1sum", "sha256sum", "sha512sum", "shred", "shuf", "split", "stty",
	"sum", "sync", "tac", "timeout", "truncate", "tsort", "tty", "uniq", "unlink", "users", "vdir", "who",
	"whoami", "yes", "dir", "csplit", "base64", "cksum", "dircolors",
	"find", "xargs", "egrep", "fgrep", "less", "more",
	"ps", "pgrep", "pkill", "pidof", "top", "kill", "free", "uptime", "watch", "pmap", "pwdx", "vmstat", "w",
	"diff", "cmp", "diff3", "sdiff",
	"clear", "tput", "reset", "which", "getent", "gzip", "zcat", "gunzip", "tar", "flock",
}

// terminfoDirs let less, top and clear know the terminal.
var terminfoDirs = []string{"/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo"}

// manPrograms and manFiles are what man needs to format pages.
var (
	manPrograms = []string{"man", "manpath", "whatis", "apropos", "groff", "nroff", "troff", "grotty", "preconv", "tbl", "eqn", "soelim", "col", "gzip", "zcat", "less"}
	manFiles    = []string{"/etc/manpath.config", "/etc/groff", "/usr/share/groff", "/usr/lib/groff", "/usr/lib/man-db"}
)

// lookPath finds a program in SystemPath; a name with a slash is taken as
// it is. It returns "" when there is no such executable.
func lookPath(name string) string {
	if strings.Contains(name, "/") {
		if isExecutable(name) {
			return name
		}
		return ""
	}
	for _, dir := range filepath.SplitList(SystemPath) {
		p := path.Join(dir, name)
		if isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// hostReferenceRe finds absolute paths of host files in generated files:
// /usr/sbin/nginx, the /usr/bin/env of a #! line.
var hostReferenceRe = regexp.MustCompile(`(?m)(?:^|[\s'"=:(,!])(/(?:usr|bin|sbin|opt|lib|lib64|libexec)/[A-Za-z0-9_.+/-]*[A-Za-z0-9_+-])`)

// referencedPrograms returns the host executables that text names by
// absolute path.
func referencedPrograms(text []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range hostReferenceRe.FindAllSubmatch(text, -1) {
		p := string(m[1])
		if seen[p] || strings.Contains(p, "/../") || strings.HasPrefix(p, imagebuild.StoreDir) {
			continue
		}
		seen[p] = true
		if isExecutable(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// hostSet collects the host side of an image: programs with what they
// need, and other host files.
type hostSet struct {
	tree     *imagebuild.Tree
	programs map[string]bool // resolved host paths added as programs
	python   map[string]bool // Python packages (or module paths) whose modules are in
}

func newHostSet() *hostSet {
	return &hostSet{tree: imagebuild.NewTree(), programs: map[string]bool{}, python: map[string]bool{}}
}

// require adds programs that must be there; why says who needs them.
func (h *hostSet) require(why string, names ...string) error {
	for _, n := range names {
		p := lookPath(n)
		if p == "" {
			return fmt.Errorf("host program %s is not installed (%s needs it; searched %s)", n, why, SystemPath)
		}
		if err := h.add(p); err != nil {
			return fmt.Errorf("%s: %w", why, err)
		}
	}
	return nil
}

// wholePackages adds every program of the packages the programs come from
// (with dpkg), or of the fallback directories.
func (h *hostSet) wholePackages(names, fallback []string) error {
	var progs []string
	if haveDpkg() {
		var pkgs []string
		for _, n := range names {
			p := lookPath(n)
			if p == "" {
				return fmt.Errorf("host program %s is not installed (searched %s)", n, SystemPath)
			}
			pkg := packageOf(p)
			if pkg == "" {
				if real, err := filepath.EvalSymlinks(p); err == nil {
					pkg = packageOf(real)
				}
			}
			if pkg != "" {
				pkgs = append(pkgs, pkg)
			}
		}
		files, err := packageFiles(pkgs)
		if err != nil {
			return err
		}
		for _, f := range files {
			if d := path.Base(path.Dir(f)); (d == "bin" || d == "sbin") && isExecutable(f) {
				progs = append(progs, f)
			}
		}
	} else {
		for _, dir := range fallback {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if f := path.Join(dir, e.Name()); isExecutable(f) {
					progs = append(progs, f)
				}
			}
		}
	}
	for _, p := range progs {
		if err := h.add(p); err != nil {
			return err
		}
	}
	return nil
}

// optional adds the programs the host has.
func (h *hostSet) optional(names ...string) error {
	for _, n := range names {
		if p := lookPath(n); p != "" {
			if err := h.add(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// add copies a program with its libraries and interpreter; a Python
// program also gets the modules it can import.
func (h *hostSet) add(p string) error {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return fmt.Errorf("host program %s: %w", p, unwrapPath(err))
	}
	if h.programs[p] {
		return nil
	}
	if err := h.tree.AddHostProgram(p); err != nil {
		return err
	}
	h.programs[p], h.programs[real] = true, true
	interp, err := scriptInterpreter(real)
	if err != nil {
		return err
	}
	if interp != "" && isPython(interp) {
		return h.addPython(interp, p)
	}
	return nil
}

// addPaths copies host files and directories that exist.
func (h *hostSet) addPaths(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := h.tree.AddHostPath(p); err != nil {
			return err
		}
	}
	return nil
}

// scriptInterpreter returns the interpreter of a #! script ("" for anything
// else), and for "#!/usr/bin/env prog" the program env runs.
func scriptInterpreter(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("host program %s: %w", p, unwrapPath(err))
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := f.Read(head)
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("#!")) {
		return "", nil
	}
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	words := strings.Fields(string(line))
	if len(words) == 0 {
		return "", nil
	}
	if path.Base(words[0]) == "env" && len(words) > 1 {
		return lookPath(words[1]), nil
	}
	return words[0], nil
}

var pythonRe = regexp.MustCompile(`^python[0-9.]*$`)

func isPython(interp string) bool { return pythonRe.MatchString(path.Base(interp)) }

// manPages adds the manual pages named after the image's host programs.
func (h *hostSet) manPages() error {
	var names []string
	for p := range h.programs {
		names = append(names, path.Base(p))
	}
	sort.Strings(names)
	for _, n := range names {
		matches, _ := filepath.Glob("/usr/share/man/man[1-8]/" + globEscape(n) + ".[1-8]*")
		for _, m := range matches {
			if err := h.tree.AddHostPath(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}
